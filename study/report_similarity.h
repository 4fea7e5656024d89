// The report's "Different from backprop?" section: per measure, each variant's
// similarity to bp per layer with its interval beside the bp-seed noise
// ceiling, and the sentences that read the answer out of those numbers.
#pragma once
#include "study/report_html.h"
#include "study/matched_accuracy.h"
#include "study/over_cycles.h"
#include "study/over_training.h"
#include "study/similarity_to_bp.h"

namespace ml {

void render_similarity_to_bp(HtmlReport& report, const SimilarityToBp& s, const MatchedAccuracy& matched);
// Debiased CKA to bp's final recordings at each snapshot, one plot per layer, bp's seed ceiling drawn across.
void render_over_training(HtmlReport& report, const OverTraining& o, const SimilarityToBp& s);
// Debiased CKA to bp's final recordings per PCN cycle or pc inference step, one plot per run.
void render_over_cycles(HtmlReport& report, const OverCycles& o);

}  // namespace ml
