// bptt: training of the deep predictive coding network (Wen et al. 2018) end to
// end by backprop through its unrolled cycles. It is backprop through the layers
// (the same walk as bp); the PCN block's own backward IS the backprop through
// time. attach refuses a network without exactly one PCN block.
//
// Its evaluate also reads out the block's top representation after every cycle
// 0..K through the layers after the block (gap-fc10), so each epoch's test pass
// yields loss and accuracy per cycle: cycles.csv (epoch, cycle, test_loss, test_acc).
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "rules/learning_rule.h"

namespace ml {

class PcnBlock;

class BackpropThroughTime : public BackwardChainRule {
 public:
  std::string name() const override { return "bptt"; }
  void attach(Network& net, uint64_t seed) override;
  LossResult evaluate(Network& net, const Batch& batch) override;
  std::vector<std::pair<std::string, std::string>> epoch_tables(int epoch) override;
  nlohmann::json config() const override;
  nlohmann::json scalar_state() const override { return {{"cycles_rows", rows_}}; }
  void restore_scalar_state(const nlohmann::json& s) override { rows_ = s.at("cycles_rows").get<std::string>(); }

 private:
  struct CycleTotals {
    double loss_sum = 0;
    long correct = 0, count = 0;
  };
  PcnBlock* block_ = nullptr;
  size_t block_index_ = 0;
  std::vector<CycleTotals> totals_;  // this epoch's test pass, per cycle
  std::string rows_;                 // cycles.csv rows of the epochs so far
};

}  // namespace ml
