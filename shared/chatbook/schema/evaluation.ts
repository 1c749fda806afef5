/**
 * An evaluation (`content/evaluations/evaluation_<id>.json`): the definition with `eval_spec`/`metadata` decoded,
 * and all of its runs. We never cap runs; `truncated`/`max_rows` only appear in archives tldw capped.
 */
import { z } from 'zod';
import {
  dropUndefined,
  jsonObjectish,
  listOf,
  optionalBoolean,
  optionalNumber,
  optionalText,
  refIdSchema,
  requiredText,
  timestampSchema,
} from './common';

export const evaluationRunSchema = z.looseObject({
  id: refIdSchema,
  run_id: refIdSchema,
  evaluation_id: refIdSchema,
  status: optionalText,
  config: jsonObjectish,
  results: z.unknown().optional(),
  error_message: optionalText,
  created_at: timestampSchema,
  started_at: timestampSchema,
  completed_at: timestampSchema,
});

export const evaluationSchema = z
  .looseObject({
    id: refIdSchema,
    name: requiredText,
    description: optionalText,
    eval_type: optionalText,
    eval_spec: jsonObjectish,
    dataset_id: refIdSchema,
    metadata: jsonObjectish,
    created_at: timestampSchema,
    updated_at: timestampSchema,
    runs: listOf(evaluationRunSchema),
    truncated: optionalBoolean,
    max_rows: optionalNumber,
  })
  .transform(dropUndefined);

/** tldw's continuation file (`evaluation_<id>_cont.json`) for runs beyond its cap. */
export const evaluationContinuationSchema = z
  .looseObject({
    evaluation_id: refIdSchema,
    continued_from: refIdSchema,
    runs: listOf(evaluationRunSchema),
    truncated: optionalBoolean,
    max_rows: optionalNumber,
  })
  .transform(dropUndefined);

export type EvaluationRun = z.infer<typeof evaluationRunSchema>;
export type EvaluationItem = z.infer<typeof evaluationSchema>;
export type EvaluationContinuation = z.infer<typeof evaluationContinuationSchema>;
