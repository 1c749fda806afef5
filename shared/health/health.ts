/** A dependency the service needs; `check` resolves when it is reachable and ready. */
export interface HealthProbe {
  component: 'storage' | 'tables' | 'workflows';
  name: string;
  check(): Promise<void>;
}

export type ComponentStatus = 'ok' | 'unavailable';

export interface HealthReport {
  status: 'ok' | 'degraded';
  checkedAt: string;
  components: Record<string, { status: ComponentStatus; checks: Record<string, ComponentStatus> }>;
}

/** Runs every probe at once, each bounded in time, and says which component is not ready. */
export async function checkHealth(
  probes: readonly HealthProbe[],
  timeoutMs = 2500,
  now = new Date(),
): Promise<HealthReport> {
  const outcomes = await Promise.all(
    probes.map(async (probe) => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          reject(new Error('timeout'));
        }, timeoutMs);
      });
      try {
        await Promise.race([probe.check(), timeout]);
        return { probe, status: 'ok' as const };
      } catch {
        return { probe, status: 'unavailable' as const };
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const components: HealthReport['components'] = {};
  for (const { probe, status } of outcomes) {
    const component = (components[probe.component] ??= { status: 'ok', checks: {} });
    component.checks[probe.name] = status;
    if (status !== 'ok') component.status = 'unavailable';
  }
  const healthy = outcomes.every((outcome) => outcome.status === 'ok');
  return { status: healthy ? 'ok' : 'degraded', checkedAt: now.toISOString(), components };
}
