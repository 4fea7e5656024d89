// How often the host has read values back from a tensor or buffer (to_vector, the loss's
// readback) and written values into one (from_vector, IntBuffer::upload), counted on every
// device alike: on a GPU each read waits for the device, and neither can sit inside a captured
// CUDA graph, so a CPU run already shows which steps would need a sync (issue 29).
// Copies between two tensors (Tensor::copy_from) are not counted: on a CPU run both sides are the host.
#pragma once
#include <cstddef>
#include <cstdint>

namespace ml {

struct HostTransfers {
  uint64_t reads = 0, writes = 0;           // transfers
  uint64_t read_bytes = 0, write_bytes = 0;  // what they moved
};
HostTransfers host_transfers();

void count_host_read(size_t bytes);
void count_host_write(size_t bytes);

}  // namespace ml
