// The one data key a model need not declare: `vocab`, the words of a topic model's vocabulary
// (an array of strings, word id → word). Binding accepts it without a warning; the text report
// of `plato infer` labels the topics (Dirichlet latents over the vocabulary) with it.

/** A non-empty array of strings: a vocabulary. */
export function isVocabulary(v: unknown): v is readonly string[] {
  return Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string');
}
