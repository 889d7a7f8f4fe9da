// Nearest-neighbour search inside one semantic partition (one context hash). Small partitions are
// scanned exactly (faster than any graph below a few thousand vectors, and exact); a partition that
// grows past `hnswMinEntries` gets an HNSW graph from hnswlib-node (the maintained C++ hnswlib).
// Vectors are L2-normalised, so inner product = cosine.

import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface HnswIndex {
  initIndex(maxElements: number, m?: number, efConstruction?: number, randomSeed?: number, allowReplaceDeleted?: boolean): void;
  resizeIndex(n: number): void;
  getMaxElements(): number;
  addPoint(v: Float32Array | number[], label: number, replaceDeleted?: boolean): void;
  markDelete(label: number): void;
  setEf(ef: number): void;
  searchKnn(v: Float32Array | number[], k: number, filter?: (label: number) => boolean): { distances: number[]; neighbors: number[] };
  getCurrentCount(): number;
}

let hnswCtor: (new (space: string, dim: number) => HnswIndex) | null | undefined;
function hnsw(): (new (space: string, dim: number) => HnswIndex) | null {
  if (hnswCtor === undefined) {
    try {
      hnswCtor = (require('hnswlib-node') as { HierarchicalNSW: new (space: string, dim: number) => HnswIndex }).HierarchicalNSW;
    } catch {
      hnswCtor = null; // native module missing: exact scan everywhere (correct, slower at scale)
    }
  }
  return hnswCtor;
}

export interface HnswParams {
  m: number;
  efConstruction: number;
  efSearch: number;
}

export interface Neighbour {
  id: number;
  similarity: number;
}

/**
 * What a partition holds outside the entries, in bytes, for the cache's memory bound: its JS side
 * (the vector buffer at its capacity, the id list and position map) and, once it has one, the
 * native HNSW graph at its capacity. hnswlib allocates per slot of `maxElements` (not per live
 * element): the level-0 links (2·M ids and a count), the vector, the label, the level, a mutex and
 * a link-list pointer, a visited-list mark; per live element a label-map node and, rarely, upper
 * levels; and per index a fixed pool of 65,536 label mutexes. The JS copy of each vector stays
 * beside the graph (swaps on removal need it), so a graph partition holds every vector twice.
 */
const JS_BYTES_PER_ENTRY = 8 + 40; // ids[] slot, pos Map entry
const hnswSlotBytes = (dim: number, m: number): number => 2 * m * 4 + 4 + dim * 4 + 8 + 4 + 40 + 8 + 2;
const HNSW_BYTES_PER_LIVE = 56;
const HNSW_INDEX_BYTES = 65_536 * 40 + 1024;

export class VectorPartition {
  private ids: number[] = [];
  private pos = new Map<number, number>();
  private data: Float32Array;
  private graph: HnswIndex | null = null;

  constructor(
    readonly dim: number,
    private readonly hnswMinEntries: number,
    private readonly params: HnswParams,
  ) {
    // room for one vector: most partitions (one per conversation prefix) hold one or two, and 16
    // preallocated vectors (8 KiB at 128 dims) made each of them cost more than its entry
    this.data = new Float32Array(dim);
  }

  get size(): number {
    return this.ids.length;
  }

  get usesGraph(): boolean {
    return this.graph !== null;
  }

  /** bytes this partition holds beyond its entries (see JS_BYTES_PER_ENTRY and the HNSW constants) */
  get bytes(): number {
    let n = this.data.byteLength + this.ids.length * JS_BYTES_PER_ENTRY;
    if (this.graph) {
      n += HNSW_INDEX_BYTES + this.graph.getMaxElements() * hnswSlotBytes(this.dim, this.params.m) + this.graph.getCurrentCount() * HNSW_BYTES_PER_LIVE;
    }
    return n;
  }

  add(id: number, v: Float32Array): void {
    if (v.length !== this.dim) throw new Error(`vector of ${v.length} dims in a ${this.dim}-dim partition`);
    if (this.pos.has(id)) this.remove(id);
    const i = this.ids.length;
    if ((i + 1) * this.dim > this.data.length) {
      const grown = new Float32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data.set(v, i * this.dim);
    this.ids.push(id);
    this.pos.set(id, i);
    if (this.graph) this.graphAdd(id, v);
    else if (this.ids.length >= this.hnswMinEntries) this.buildGraph();
  }

  remove(id: number): void {
    const i = this.pos.get(id);
    if (i === undefined) return;
    const last = this.ids.length - 1;
    if (i !== last) {
      const moved = this.ids[last]!;
      this.data.copyWithin(i * this.dim, last * this.dim, (last + 1) * this.dim);
      this.ids[i] = moved;
      this.pos.set(moved, i);
    }
    this.ids.pop();
    this.pos.delete(id);
    if (this.graph) this.graph.markDelete(id);
    // give back room a shrunken partition no longer needs (amortised O(1): only at a quarter full)
    if (this.data.length > this.dim * 16 && this.ids.length * this.dim * 4 <= this.data.length) {
      this.data = this.data.slice(0, this.data.length / 2);
    }
  }

  private graphAdd(id: number, v: Float32Array): void {
    const g = this.graph!;
    if (g.getCurrentCount() + 1 > g.getMaxElements()) g.resizeIndex(Math.ceil(g.getMaxElements() * 1.5) + 16);
    // hnswlib-node accepts only plain arrays
    g.addPoint(Array.from(v), id, true);
  }

  private buildGraph(): void {
    const Ctor = hnsw();
    if (!Ctor) return;
    const g = new Ctor('ip', this.dim);
    g.initIndex(Math.max(1024, this.ids.length * 2), this.params.m, this.params.efConstruction, 100, true);
    g.setEf(this.params.efSearch);
    this.graph = g;
    for (let i = 0; i < this.ids.length; i++) this.graphAdd(this.ids[i]!, this.data.subarray(i * this.dim, (i + 1) * this.dim));
  }

  /** The k most similar vectors, best first. */
  search(q: Float32Array, k: number): Neighbour[] {
    if (this.ids.length === 0) return [];
    if (this.graph) {
      const r = this.graph.searchKnn(Array.from(q), Math.min(k, this.ids.length));
      // hnswlib's 'ip' distance is 1 - inner product
      return r.neighbors.map((id, j) => ({ id, similarity: 1 - r.distances[j]! }));
    }
    const d = this.dim, data = this.data, n = this.ids.length;
    const best: Neighbour[] = [];
    for (let i = 0; i < n; i++) {
      let s = 0;
      const base = i * d;
      for (let j = 0; j < d; j++) s += q[j]! * data[base + j]!;
      if (best.length < k || s > best[best.length - 1]!.similarity) {
        best.push({ id: this.ids[i]!, similarity: s });
        best.sort((a, b) => b.similarity - a.similarity);
        if (best.length > k) best.pop();
      }
    }
    return best;
  }
}
