// wink-lemmatizer ships no types; the three functions the guards and the embedder use.
declare module 'wink-lemmatizer' {
  const lemmatizer: { noun(word: string): string; verb(word: string): string; adjective(word: string): string };
  export default lemmatizer;
}
