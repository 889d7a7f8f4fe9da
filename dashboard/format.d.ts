// Types of format.js for the TypeScript that imports it (the weekly report).
type Num = number | null | undefined;
export function usd(v: Num): string;
export function ms(v: Num): string;
export function pct(v: Num): string;
export function count(v: Num): string;
export function tokens(v: Num): string;
export function when(t: number): string;
