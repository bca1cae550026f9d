export interface BundleBudget {
  name: string;
  source: string;
  budget: number;
  ceiling: number;
}
export const BUDGETS: BundleBudget[];
export function measure(source: string): Promise<{ minified: number; gzip: number; text: string }>;
