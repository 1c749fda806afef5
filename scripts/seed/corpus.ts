// Word banks for the seed generator: topics with questions and facts, people, places, models. Plain data.

export interface Topic {
  /** The library tag items on this topic carry. */
  tag: string;
  title: string;
  keywords: readonly string[];
  questions: readonly string[];
  facts: readonly string[];
  /** A short code or config snippet, for technical topics. */
  snippet?: { language: string; code: string };
}

export const TOPICS: readonly Topic[] = [
  {
    tag: 'rag',
    title: 'Retrieval-augmented generation',
    keywords: ['rag', 'embeddings', 'vector search', 'reranking'],
    questions: [
      'How big should my chunks be for a RAG pipeline over PDFs?',
      'Should I rerank the top 50 results or just take the top 5 from the vector search?',
      'Why does my retriever keep missing answers that are clearly in the documents?',
      'How do I evaluate whether the answers are actually grounded in the sources?',
    ],
    facts: [
      'Chunks of 300 to 800 tokens with a 10 to 15 percent overlap are a sensible starting point for prose.',
      'Hybrid search, BM25 combined with dense vectors, recovers exact terms such as product codes that embeddings blur.',
      'A cross-encoder reranker over the top 50 candidates usually beats taking the top 5 from the vector index directly.',
      'Storing the page number and section title with each chunk makes citations checkable by a reader.',
      'Faithfulness can be measured by asking a judge model whether each claim in the answer is supported by a cited chunk.',
      'Query rewriting helps most when users ask short, ambiguous questions that share few words with the documents.',
    ],
    snippet: {
      language: 'python',
      code: 'results = index.search(query_vector, k=50)\nranked = reranker.rank(query, [r.text for r in results])\ncontext = ranked[:5]',
    },
  },
  {
    tag: 'baking',
    title: 'Sourdough baking',
    keywords: ['sourdough', 'bread', 'fermentation', 'hydration'],
    questions: [
      'My sourdough comes out dense and gummy. What am I doing wrong?',
      'How do I adjust bulk fermentation when my kitchen is only 19 °C?',
      'What hydration should a beginner aim for?',
      'Can I retard the dough in the fridge overnight after shaping?',
    ],
    facts: [
      'Bulk fermentation is done when the dough has grown by roughly 50 percent, feels airy and shows bubbles at the edges.',
      'At 19 °C bulk fermentation can take 8 to 10 hours, against 4 to 5 hours at 26 °C.',
      'A hydration of 70 to 72 percent is forgiving for a first loaf with strong bread flour.',
      'Cold retarding the shaped loaf for 12 to 16 hours develops flavour and makes scoring easier.',
      'A gummy crumb usually means the loaf was under-fermented or cut before it cooled for at least an hour.',
      'Baking in a preheated Dutch oven traps steam for the first 20 minutes, which gives the loaf its oven spring.',
    ],
  },
  {
    tag: 'kubernetes',
    title: 'Kubernetes autoscaling',
    keywords: ['kubernetes', 'hpa', 'autoscaling', 'devops'],
    questions: [
      'Why is my HorizontalPodAutoscaler not scaling up even though CPU is at 90 percent?',
      'Should I scale on CPU or on request latency?',
      'How do the HPA and the cluster autoscaler interact?',
      'What are sensible resource requests for a Node.js API pod?',
    ],
    facts: [
      'The HPA computes utilization against the pod resource requests, so a pod without CPU requests never scales on CPU.',
      'Scaling on a custom metric such as requests per second reacts earlier than CPU for I/O bound services.',
      'The cluster autoscaler only adds nodes when pods are pending because no node can fit their requests.',
      'A stabilization window of a few minutes on scale-down avoids flapping when traffic is bursty.',
      'Readiness probes keep new pods out of the load balancer until they can serve, which matters during scale-up.',
      'Requests should reflect steady-state usage; limits well above requests let a pod absorb short spikes.',
    ],
    snippet: {
      language: 'yaml',
      code: 'apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nspec:\n  minReplicas: 2\n  maxReplicas: 20\n  metrics:\n    - type: Resource\n      resource:\n        name: cpu\n        target: { type: Utilization, averageUtilization: 70 }',
    },
  },
  {
    tag: 'travel',
    title: 'Two weeks in Japan',
    keywords: ['travel', 'japan', 'itinerary', 'rail pass'],
    questions: [
      'Is the Japan Rail Pass still worth it for a two week trip?',
      'How should I split two weeks between Tokyo, Kyoto and somewhere rural?',
      'What is the etiquette at an onsen?',
      'Do I need cash or can I pay by card almost everywhere?',
    ],
    facts: [
      'After the 2023 price increase the rail pass pays off mainly for trips with several long shinkansen legs.',
      'A common split is five nights in Tokyo, four in Kyoto, two in the Kiso valley and the rest around Osaka.',
      'At an onsen you wash thoroughly at the seated showers before entering the bath, and towels stay out of the water.',
      'Card acceptance has grown a lot, but small restaurants, shrines and rural inns still often take cash only.',
      'An IC card such as Suica works on most trains and buses and in convenience stores.',
      'Booking ryokan in Kyoto three months ahead matters most in the cherry blossom and autumn leaf seasons.',
    ],
  },
  {
    tag: 'running',
    title: 'Marathon training',
    keywords: ['running', 'marathon', 'training plan', 'heart rate'],
    questions: [
      'How many weeks do I need to train for a first marathon?',
      'Why does everyone say to run most miles slowly?',
      'How should I fuel during a long run?',
      'Is it normal for my heart rate to drift upwards late in a run?',
    ],
    facts: [
      'Most first-marathon plans run 16 to 20 weeks on top of a base of about 30 kilometres per week.',
      'Around 80 percent of weekly volume at an easy, conversational pace builds aerobic capacity with little injury risk.',
      'Taking 30 to 60 grams of carbohydrate per hour from the first hour of a long run delays the wall.',
      'Cardiac drift of 5 to 10 beats per minute late in a steady run is normal, especially in the heat.',
      'The longest run usually peaks at 30 to 35 kilometres, three weeks before race day.',
      'A taper of two to three weeks lets the body absorb the training without losing fitness.',
    ],
  },
  {
    tag: 'finance',
    title: 'Index fund investing',
    keywords: ['finance', 'index funds', 'retirement', 'budgeting'],
    questions: [
      'What is the difference between an ETF and a mutual index fund?',
      'How much should I keep in an emergency fund before investing?',
      'Does it make sense to invest a lump sum or spread it over a year?',
      'How do I pick an asset allocation?',
    ],
    facts: [
      'Both track an index; ETFs trade during the day like shares, mutual funds price once a day.',
      'Three to six months of essential expenses is the usual emergency fund before investing.',
      'Historically a lump sum beats spreading it out about two thirds of the time, because markets rise more often than they fall.',
      'Total expense ratios below 0.2 percent compound into a noticeable difference over decades.',
      'An allocation you can hold through a 30 percent drawdown is better than a theoretically optimal one you abandon.',
      'Rebalancing once a year, or when an asset class drifts by more than five points, keeps risk where you chose it.',
    ],
  },
  {
    tag: 'rust',
    title: 'Rust ownership and borrowing',
    keywords: ['rust', 'borrow checker', 'lifetimes', 'programming'],
    questions: [
      'Why does the borrow checker reject mutating a vector while I iterate over it?',
      'When should I use Rc<RefCell<T>> instead of references?',
      'What does a lifetime annotation actually promise?',
      'How do I return a string from a function without cloning everywhere?',
    ],
    facts: [
      'Iterating borrows the vector immutably, so pushing to it in the loop would invalidate the iterator.',
      'Rc<RefCell<T>> moves the borrow check to runtime; it fits graph-like data with shared ownership.',
      'A lifetime annotation does not extend anything; it tells the compiler how the lifetimes of inputs and outputs relate.',
      'Returning an owned String is idiomatic; taking &str parameters keeps callers from allocating.',
      'Collecting indices first and mutating afterwards is a simple way around aliasing errors.',
      'Clippy points out many needless clones once the code compiles.',
    ],
    snippet: {
      language: 'rust',
      code: "fn longest<'a>(a: &'a str, b: &'a str) -> &'a str {\n    if a.len() >= b.len() { a } else { b }\n}",
    },
  },
  {
    tag: 'coffee',
    title: 'Home espresso',
    keywords: ['coffee', 'espresso', 'grinder', 'extraction'],
    questions: [
      'My espresso tastes sour even at 30 seconds. What should I change?',
      'Is a better grinder or a better machine the bigger upgrade?',
      'What ratio should I use for a medium roast?',
      'How long should beans rest after roasting?',
    ],
    facts: [
      'Sourness usually means under-extraction: grind finer or raise the brew temperature a degree or two.',
      'The grinder matters more than the machine; uneven grounds channel and extract unevenly.',
      'A 1:2 ratio, 18 grams in and 36 grams out in 25 to 30 seconds, is a common starting point.',
      'Light roasts often taste best 10 to 20 days after roasting, darker roasts sooner.',
      'Weighing both the dose and the yield makes changes repeatable from one shot to the next.',
      'Distributing the grounds with a needle tool before tamping reduces channeling.',
    ],
  },
  {
    tag: 'gardening',
    title: 'Growing tomatoes',
    keywords: ['gardening', 'tomatoes', 'vegetables', 'compost'],
    questions: [
      'Why are the bottoms of my tomatoes turning black?',
      'Should I remove the suckers from my tomato plants?',
      'How often should I water tomatoes in containers?',
      'When is it safe to plant tomatoes outside?',
    ],
    facts: [
      'Blossom end rot comes from uneven watering that limits calcium uptake, rarely from a lack of calcium in the soil.',
      'Removing suckers on cordon varieties focuses energy on fewer, larger fruit; bush varieties are left alone.',
      'Containers in summer may need water daily; the soil should be moist an inch down, not soggy.',
      'Plant out once night temperatures stay above 10 °C, usually a week or two after the last frost.',
      'Mulching with compost keeps moisture even and feeds the soil over the season.',
      'Yellowing lower leaves late in the season are normal; spots with rings point to early blight.',
    ],
  },
  {
    tag: 'history',
    title: 'The late Roman Republic',
    keywords: ['history', 'rome', 'republic', 'caesar'],
    questions: [
      'Why did the Roman Republic fall?',
      'What was the role of the Gracchi brothers?',
      'How did Marius change the Roman army?',
      'Was crossing the Rubicon really a point of no return?',
    ],
    facts: [
      'Land concentration, a growing urban poor and generals with personally loyal armies strained the republican system.',
      'Tiberius and Gaius Gracchus pushed land reform through the popular assemblies and were killed in political violence.',
      'The Marian reforms opened the legions to landless citizens, who looked to their general for land on discharge.',
      'Bringing an army into Italy across the Rubicon in 49 BC made Caesar a public enemy unless he won the civil war.',
      'Sulla marched on Rome twice, setting a precedent that later generals followed.',
      'The republic formally survived until Augustus, who kept its institutions while holding the real power.',
    ],
  },
  {
    tag: 'evals',
    title: 'Evaluating language models',
    keywords: ['evals', 'llm', 'benchmarks', 'judging'],
    questions: [
      'How many examples do I need for an eval to be meaningful?',
      'Can I trust an LLM as a judge?',
      'How do I compare two prompts fairly?',
      'What should I log for every eval run?',
    ],
    facts: [
      'With 200 examples a 5-point difference in accuracy is roughly at the edge of statistical noise.',
      'Judge models agree with humans well on pairwise preferences and less well on absolute scores.',
      'Randomizing the order of candidates in pairwise judging removes a strong position bias.',
      'Every run should record the model, prompt version, temperature, seed and dataset version.',
      'Small regression suites run on every change catch more problems than a large suite run monthly.',
      'Reading 20 failures by hand often explains a score better than any aggregate metric.',
    ],
  },
  {
    tag: 'photography',
    title: 'Exposure and low light photography',
    keywords: ['photography', 'exposure', 'iso', 'low light'],
    questions: [
      'Should I raise ISO or lower the shutter speed indoors?',
      'What does exposing to the right mean?',
      'How do I avoid blurry photos at night without a tripod?',
      'Is shooting RAW worth the extra space?',
    ],
    facts: [
      'Motion blur ruins a photo more than noise does, so raise ISO before dropping below a safe shutter speed.',
      'Exposing to the right puts the histogram as far right as possible without clipping, which maximizes signal.',
      'The reciprocal rule, one over the focal length, is a starting point for hand-held shutter speeds.',
      'RAW files keep two to three stops more recoverable highlight and shadow detail than JPEGs.',
      'A fast prime at f/1.8 gathers four times the light of a kit zoom at f/3.5.',
      'Bracing against a wall and exhaling slowly buys a stop or two of stability.',
    ],
  },
  {
    tag: 'languages',
    title: 'Learning Spanish as an adult',
    keywords: ['languages', 'spanish', 'spaced repetition', 'study plan'],
    questions: [
      'How long until I can hold a basic conversation in Spanish?',
      'Are flashcard apps enough?',
      'When should I start learning the subjunctive?',
      'How do I get speaking practice without a tutor?',
    ],
    facts: [
      'Around 300 to 400 hours of study brings most English speakers to a basic conversational level.',
      'Spaced repetition is excellent for vocabulary but needs to be paired with listening and speaking.',
      'The present subjunctive is usually introduced after the past tenses, at an intermediate level.',
      'Shadowing native audio, repeating it a fraction of a second behind, trains pronunciation and rhythm.',
      'Language exchanges pair you with a learner of English, so both sides practice for free.',
      'Comprehensible input, material you understand about 90 percent of, builds intuition for grammar.',
    ],
  },
  {
    tag: 'postgres',
    title: 'PostgreSQL indexing',
    keywords: ['postgres', 'sql', 'indexes', 'performance'],
    questions: [
      'Why is Postgres doing a sequential scan even though I have an index?',
      'When should I use a partial index?',
      'How do I find the slow queries in production?',
      'Does the column order in a composite index matter?',
    ],
    facts: [
      'The planner picks a sequential scan when it expects to read a large fraction of the table anyway.',
      "A partial index on WHERE status = 'pending' stays small when most rows are finished.",
      'pg_stat_statements aggregates execution time per normalized query, which shows where time goes.',
      'A composite index on (a, b) serves filters on a alone or on a and b, but not on b alone.',
      'EXPLAIN (ANALYZE, BUFFERS) shows actual row counts, which reveal bad estimates.',
      'Running ANALYZE after a bulk load refreshes the statistics the planner relies on.',
    ],
    snippet: {
      language: 'sql',
      code: "CREATE INDEX CONCURRENTLY jobs_pending_idx\n  ON jobs (created_at)\n  WHERE status = 'pending';",
    },
  },
  {
    tag: 'health',
    title: 'Sleep and recovery',
    keywords: ['health', 'sleep', 'circadian rhythm', 'recovery'],
    questions: [
      'Why do I wake up at 4 am and cannot fall asleep again?',
      'Does caffeine in the afternoon really affect sleep?',
      'How do I get over jet lag faster?',
      'Is a 20 minute nap better than a longer one?',
    ],
    facts: [
      'Caffeine has a half-life of about five hours, so a 3 pm coffee is still partly active at bedtime.',
      'Morning daylight within an hour of waking anchors the circadian rhythm.',
      'Shifting meal times and light exposure toward the destination time zone speeds up jet lag recovery.',
      'Naps under 30 minutes avoid deep sleep and the grogginess of waking from it.',
      'A cool, dark bedroom around 18 °C helps both falling and staying asleep.',
      'Alcohol helps people fall asleep but fragments sleep in the second half of the night.',
    ],
  },
  {
    tag: 'fiction',
    title: 'Worldbuilding for fantasy fiction',
    keywords: ['fiction', 'worldbuilding', 'magic systems', 'writing'],
    questions: [
      'How much worldbuilding should I do before starting the first draft?',
      'How do I design a magic system that does not break the plot?',
      'How do I show a world without info-dumping?',
      'How should I name places in an invented language?',
    ],
    facts: [
      'Build enough of the world to support the first act, then let the draft reveal what else it needs.',
      'Limits and costs make a magic system interesting; what it cannot do drives the plot.',
      'Revealing the world through what characters want and fear keeps exposition inside scenes.',
      'A small set of sound rules, a few consonant clusters and endings, makes invented names feel related.',
      'Trade routes, water and food explain where cities are and why they fight.',
      'A timeline of the last few hundred years gives characters grudges and loyalties to act on.',
    ],
  },
];

export const GENERIC_SENTENCES: readonly string[] = [
  'It is worth writing this down so the next attempt starts from a better place.',
  'The trade-offs depend on what you care about most, so it helps to decide that first.',
  'Try one change at a time; otherwise it is hard to tell which one helped.',
  'Most of the improvement comes from the first two or three adjustments.',
  'If you keep notes for a few weeks, patterns become obvious.',
  'There is no single right answer here, but there are a few common mistakes.',
  'Small, consistent steps beat occasional big efforts.',
];

export const FOLLOW_UPS: readonly string[] = [
  'Can you make that shorter?',
  'Could you put that in a table?',
  'What would you do first if you were me?',
  'Thanks. What are the most common mistakes?',
  'Can you give me a concrete example?',
  'How would I know if it is working?',
  'Is there anything I should avoid?',
];

export const REPHRASE_PREFIXES: readonly string[] = [
  'Let me rephrase: ',
  'Sorry, to be more specific: ',
  'Actually, ',
  'Quick follow-up on my question: ',
];

export const ASSISTANT_OPENERS: readonly string[] = [
  'Good question.',
  'Short answer: it depends, but here is how to think about it.',
  'Here is what usually matters most.',
  'A few things are worth checking.',
  'Happy to help with that.',
];

export const FIRST_NAMES: readonly string[] = [
  'Aria',
  'Bastian',
  'Céline',
  'Dmitri',
  'Elif',
  'Farah',
  'Gideon',
  'Hana',
  'Iker',
  'Juno',
  'Kofi',
  'Lena',
  'Mateo',
  'Nadia',
  'Oren',
  'Priya',
  'Quinn',
  'Rosa',
  'Soren',
  'Talia',
  'Ulric',
  'Vera',
  'Wen',
  'Yusuf',
  'Zara',
];

export const LAST_NAMES: readonly string[] = [
  'Ashdown',
  'Bellweather',
  'Castellan',
  'Dunmore',
  'Everly',
  'Falk',
  'Greaves',
  'Holloway',
  'Iwata',
  'Jaramillo',
  'Kestrel',
  'Lindqvist',
  'Moreau',
  'Nakamura',
  'Okafor',
  'Petrova',
  'Quill',
  'Reyes',
  'Sato',
  'Thorne',
];

export interface Archetype {
  role: string;
  personality: string;
  scenario: string;
  greeting: string;
  tags: readonly string[];
}

export const ARCHETYPES: readonly Archetype[] = [
  {
    role: 'a patient study tutor',
    personality:
      'calm, encouraging, Socratic; asks one question at a time and never gives the answer outright',
    scenario: '{{user}} is preparing for an exam and has booked an evening study session with {{char}}.',
    greeting:
      'Hi {{user}}! What are we working on tonight? Tell me what you already know and we will build from there.',
    tags: ['tutor', 'education'],
  },
  {
    role: 'a ship navigator on a long voyage',
    personality: 'dry humour, meticulous about charts, superstitious about storms',
    scenario:
      '{{char}} and {{user}} are plotting a course through unfamiliar waters after the captain fell ill.',
    greeting:
      '*unrolls a salt-stained chart* The stars were clear last night, {{user}}. The sea will not stay this kind.',
    tags: ['adventure', 'roleplay'],
  },
  {
    role: 'a senior software engineer doing code review',
    personality: 'direct, precise, kind; explains the why behind every suggestion',
    scenario: '{{user}} has opened a pull request and {{char}} is reviewing it.',
    greeting: 'Thanks for the PR, {{user}}. Before I dig in: what is the one thing you are least sure about?',
    tags: ['programming', 'assistant'],
  },
  {
    role: 'an innkeeper in a border town',
    personality: 'warm, nosy, knows every rumour and trades in favours',
    scenario: "{{user}} arrives soaked at {{char}}'s inn on the night the pass closes for winter.",
    greeting:
      '*sets down a steaming mug* You picked a fine night to travel, friend. Sit. What brings you over the pass?',
    tags: ['fantasy', 'roleplay'],
  },
  {
    role: 'a Spanish conversation partner from Sevilla',
    personality: 'lively, corrects mistakes gently by repeating the sentence correctly',
    scenario: '{{user}} is practising Spanish with {{char}} over a video call.',
    greeting: '¡Hola {{user}}! ¿Qué tal tu semana? Cuéntame algo que hiciste, aunque sea pequeño.',
    tags: ['languages', 'tutor'],
  },
  {
    role: 'a detective in 1920s Chicago',
    personality: 'world-weary, observant, speaks in clipped sentences',
    scenario: "{{user}} walks into {{char}}'s office with a case nobody else will take.",
    greeting:
      '*looks up from the paperwork* Door was open. Usually means trouble. Sit down and tell me yours.',
    tags: ['mystery', 'roleplay'],
  },
  {
    role: 'a running coach',
    personality: 'upbeat, data-driven, insists on rest days',
    scenario: '{{char}} is helping {{user}} plan a training block for a spring race.',
    greeting:
      'Morning, {{user}}! How did last week feel, honestly? Legs, sleep, motivation: give me all three.',
    tags: ['fitness', 'coach'],
  },
  {
    role: 'a curator at a natural history museum',
    personality: 'enthusiastic, full of tangents, loves fossils',
    scenario: '{{user}} is on an after-hours tour of the museum led by {{char}}.',
    greeting: 'Welcome, welcome! Mind the step. Have you ever stood next to something 66 million years old?',
    tags: ['education', 'science'],
  },
];

export const SETTINGS: readonly { name: string; places: readonly string[]; factions: readonly string[] }[] = [
  {
    name: 'The Shattered Coast',
    places: ['Saltmere', 'the Drowned Library', 'Gullhaven', 'the Lantern Isles', 'Fort Brine'],
    factions: ['the Tidewardens', 'the Salt Guild', 'the Lantern Keepers'],
  },
  {
    name: 'Emberfall',
    places: ['the Ashen Vale', 'Cinderhold', 'the Glass Desert', 'Kiln Gate', 'the Ember Throne'],
    factions: ['the Kindled Order', 'the Ashborn', 'the Glasswrights'],
  },
  {
    name: 'Neon Meridian',
    places: ['Sector 9', 'the Undergrid', 'Halcyon Tower', 'the Night Market', 'Port Vesta'],
    factions: ['Halcyon Dynamics', 'the Gridrunners', 'the Civic Watch'],
  },
  {
    name: 'The Verdant Reach',
    places: ['Mossgate', 'the Elder Grove', 'Thornwick', 'the Sunken Road', 'Briarholm'],
    factions: ['the Circle of Roots', 'the Thornwick Rangers', 'the Seed Keepers'],
  },
];

export const PROMPT_TEMPLATES: readonly {
  name: string;
  details: string;
  system: string;
  user: string;
  keywords: readonly string[];
}[] = [
  {
    name: 'Summarize for a busy reader',
    details: 'Three bullet summary plus one action item.',
    system: 'You are a precise editor. Summaries are faithful to the source and never add facts.',
    user: 'Summarize the following text in three bullets, then give one action item.\n\n{{text}}',
    keywords: ['summarization', 'writing'],
  },
  {
    name: 'Explain like I am new to the field',
    details: 'Plain-language explanation with one analogy.',
    system: 'You explain technical ideas in plain language, with exactly one analogy.',
    user: 'Explain {{concept}} to someone new to {{field}}. Keep it under 200 words.',
    keywords: ['explanation', 'education'],
  },
  {
    name: 'Code review checklist',
    details: 'Reviews a diff for correctness, readability and tests.',
    system: 'You are a senior engineer. Point out bugs first, then readability, then missing tests.',
    user: 'Review this diff:\n\n```diff\n{{diff}}\n```',
    keywords: ['programming', 'review'],
  },
  {
    name: 'Meeting notes to action items',
    details: 'Extracts decisions, owners and due dates.',
    system: 'You extract decisions and action items from meeting notes. Unknown owners are marked TBD.',
    user: 'Notes:\n{{notes}}\n\nList decisions, then action items as "owner: task (due date)".',
    keywords: ['productivity', 'meetings'],
  },
  {
    name: 'Socratic tutor',
    details: 'Guides with questions instead of answers.',
    system: 'You are a tutor who answers with one guiding question at a time.',
    user: 'I am stuck on: {{problem}}',
    keywords: ['education', 'tutor'],
  },
  {
    name: 'Translate and explain idioms',
    details: 'Translation with notes on idioms and register.',
    system: 'You translate faithfully and add short notes on idioms and formality.',
    user: 'Translate into {{language}} and explain any idioms:\n\n{{text}}',
    keywords: ['languages', 'translation'],
  },
  {
    name: 'Grounded answer with citations',
    details: 'Answers only from the provided sources, citing them.',
    system: 'Answer only from the sources. Cite them as [n]. Say "not in the sources" when unsure.',
    user: 'Sources:\n{{sources}}\n\nQuestion: {{question}}',
    keywords: ['rag', 'citations'],
  },
  {
    name: 'Weekly review',
    details: 'A structured reflection on the past week.',
    system: 'You are a thoughtful coach. Ask about wins, lessons and next week, one section at a time.',
    user: 'Help me review my week. Highlights so far: {{highlights}}',
    keywords: ['productivity', 'journaling'],
  },
];

export const MODELS: readonly { provider: string; model: string }[] = [
  { provider: 'openai', model: 'gpt-4o-mini' },
  { provider: 'openai', model: 'gpt-4.1' },
  { provider: 'anthropic', model: 'claude-3-5-sonnet-20241022' },
  { provider: 'anthropic', model: 'claude-3-5-haiku-20241022' },
  { provider: 'ollama', model: 'llama3.1:8b' },
  { provider: 'mistral', model: 'mistral-large-latest' },
  { provider: 'google', model: 'gemini-1.5-pro' },
];

export const WHISPER_MODELS: readonly string[] = [
  'large-v3',
  'distil-large-v3',
  'medium.en',
  'large-v3-turbo',
];

export const DOCUMENT_TYPES: readonly string[] = [
  'summary',
  'timeline',
  'study_guide',
  'briefing',
  'faq',
  'outline',
];

export const EVAL_TYPES: readonly string[] = [
  'model_graded',
  'exact_match',
  'rag_faithfulness',
  'g_eval',
  'pairwise',
];

export const AUTHORS: readonly string[] = [
  'Dr. Maya Lindqvist',
  'Tom Okafor',
  'The Practical Engineer',
  'Hannah Reyes',
  'Open Lecture Series',
  'Kenji Sato',
  'Weekend Bakers Podcast',
  'Field Notes Radio',
  'Ana Petrova',
  'City Library Talks',
];
