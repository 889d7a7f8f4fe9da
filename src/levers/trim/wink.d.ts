// wink-bm25-text-search and wink-nlp-utils ship no types; the functions the context trimmer uses.
declare module 'wink-bm25-text-search' {
  interface BM25Engine {
    defineConfig(config: { fldWeights: Record<string, number>; bm25Params?: { k1?: number; b?: number; k?: number } }): boolean;
    definePrepTasks(tasks: Array<(input: never) => unknown>, field?: string): number;
    addDoc(doc: Record<string, string>, id: number | string): number;
    consolidate(fp?: number): boolean;
    search(text: string, limit?: number): Array<[number | string, number]>;
  }
  const bm25: () => BM25Engine;
  export default bm25;
}

declare module 'wink-nlp-utils' {
  const nlp: {
    string: { lowerCase(s: string): string; tokenize0(s: string): string[] };
    tokens: { removeWords(t: string[]): string[]; stem(t: string[]): string[]; propagateNegations(t: string[]): string[] };
  };
  export default nlp;
}
