/**
 * The champion / challenger rule, pure. A new model is promoted only if its ROC-AUC on the new
 * run's holdout beats the champion's ROC-AUC on the very same rows (same cutoff and horizon);
 * a tie keeps the champion. A champion that cannot be scored on the new holdout (its feature
 * version is no longer computed) cannot defend its title.
 */
export type ChampionEvaluation =
  | { readonly version: string; readonly rocAuc: number }
  | { readonly version: string; readonly error: string };

export interface PromotionDecision {
  readonly promote: boolean;
  readonly reason: string;
}

const f4 = (x: number): string => x.toFixed(4);

export function decidePromotion(candidate: { readonly rocAuc: number; readonly holdout: string }, champion: ChampionEvaluation | undefined): PromotionDecision {
  if (!champion) return { promote: true, reason: `first model: no champion yet (ROC-AUC ${f4(candidate.rocAuc)} on ${candidate.holdout})` };
  if ('error' in champion) {
    return { promote: true, reason: `champion ${champion.version} cannot be evaluated on the new holdout (${champion.error})` };
  }
  if (candidate.rocAuc > champion.rocAuc) {
    return {
      promote: true,
      reason: `ROC-AUC ${f4(candidate.rocAuc)} beats champion ${champion.version} (${f4(champion.rocAuc)}) on ${candidate.holdout}`,
    };
  }
  const verb = candidate.rocAuc === champion.rocAuc ? 'ties' : 'is below';
  return {
    promote: false,
    reason: `ROC-AUC ${f4(candidate.rocAuc)} ${verb} champion ${champion.version} (${f4(champion.rocAuc)}) on ${candidate.holdout}; ties keep the champion`,
  };
}
