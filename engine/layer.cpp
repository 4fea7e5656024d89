#include "engine/layer.h"

namespace ml {

void Layer::to(Device d) {
  for (Param* p : params()) {
    p->value = p->value.to(d);
    p->grad = Tensor(p->value.shape(), d);
  }
  input_ = output_ = grad_input_ = Tensor();
}

}  // namespace ml
