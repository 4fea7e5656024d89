#include "rules/bptt.h"

#include <sstream>
#include <stdexcept>

#include "engine/layers/pcn_block.h"
#include "rules/registry.h"

namespace ml {

// The PCN: 0.01 lowered by a cosine with weight decay 5e-4 is its best 15-epoch setting (docs/RESULTS.md).
// The quick preset unrolls 2 cycles instead of 6: the unrolled network costs ~K times the LeNet.
ML_REGISTER_RULE(bptt, {.name = "bptt",
                        .order = 20,
                        .training_defaults = {{"lr", "0.01"}, {"lr-schedule", "cosine"}, {"weight-decay", "0.0005"}},
                        .quick_flags = "--cycles 2",
                        .study_arch = "pcn",
                        .study_cost = 15,
                        .make = [](const FlagValues&) -> std::unique_ptr<LearningRule> {
                          return std::make_unique<BackpropThroughTime>();
                        }})

void BackpropThroughTime::attach(Network& net, uint64_t) {
  block_ = nullptr;
  for (size_t i = 0; i < net.size(); ++i) {
    if (auto* b = dynamic_cast<PcnBlock*>(&net.layer(i))) {
      if (block_) {
        throw std::invalid_argument("--rule bptt: the network '" + net.spec() +
                                    "' has more than one PCN block (per-cycle readout needs exactly one)");
      }
      block_ = b;
      block_index_ = i;
    }
  }
  if (!block_) {
    throw std::invalid_argument("--rule bptt: the network '" + net.spec() +
                                "' has no PCN block (use --arch pcn, or a pcn<C>,...c<K> token)");
  }
  totals_.clear();
  rows_.clear();
}

LossResult BackpropThroughTime::evaluate(Network& net, const Batch& batch) {
  if (!block_) throw std::logic_error("--rule bptt: evaluate before attach");
  block_->set_keep_for_backward(false);  // no backward follows: let the block reuse its buffers
  const LossResult last = loss_.forward(net.forward(batch.x), batch.labels, batch.host_labels);
  totals_.resize(static_cast<size_t>(block_->cycles()) + 1);
  for (int t = 0; t <= block_->cycles(); ++t) {
    LossResult r = last;
    if (t < block_->cycles()) {  // the same head on the top representation after cycle t
      const Tensor* h = &block_->top_after_cycle(t);
      for (size_t j = block_index_ + 1; j < net.size(); ++j) h = &net.layer(j).forward(*h);
      r = loss_.forward(*h, batch.labels, batch.host_labels);
    }
    totals_[t].loss_sum += r.loss_sum;
    totals_[t].correct += r.correct;
    totals_[t].count += r.count;
  }
  block_->set_keep_for_backward(true);
  return last;
}

std::vector<std::pair<std::string, std::string>> BackpropThroughTime::epoch_tables(int epoch) {
  if (totals_.empty()) return {};
  std::ostringstream rows;
  rows.precision(9);
  for (size_t t = 0; t < totals_.size(); ++t) {
    const CycleTotals& c = totals_[t];
    rows << epoch << ',' << t << ',' << c.loss_sum / c.count << ',' << static_cast<double>(c.correct) / c.count
         << '\n';
  }
  rows_ += rows.str();
  totals_.clear();
  return {{"cycles.csv", "epoch,cycle,test_loss,test_acc\n" + rows_}};
}

nlohmann::json BackpropThroughTime::config() const {
  if (!block_) return nlohmann::json::object();
  return {{"pcn_block", block_->token()}, {"cycles", block_->cycles()}};
}

}  // namespace ml
