// The training set-up the end-to-end tests share: the synthetic bar data set
// (synthetic_idx.h, 1000 train / 200 test images of 12 x 12) written under
// root/data, 3 epochs of batch 32 at lr 0.05 on the CPU, no progress line.
#pragma once
#include <filesystem>
#include <string>

#include "training/trainer.h"
#include "synthetic_idx.h"

namespace ml_test {

inline ml::TrainConfig synthetic_train_config(const std::filesystem::path& root,
                                              const std::string& arch = "conv8k3-relu-maxpool2-flatten-fc32-relu-fc10") {
  ml::TrainConfig c;
  c.data = "mnist";
  c.data_dir = write_synthetic_idx((root / "data").string(), 1000, 200);
  c.arch = arch;
  c.epochs = 3;
  c.batch = 32;
  c.device = "cpu";
  c.progress = false;
  c.optimizer.lr = 0.05f;
  return c;
}

}  // namespace ml_test
