#include "engine/host_transfers.h"

#include <atomic>

namespace ml {
namespace {

std::atomic<uint64_t> g_reads{0}, g_writes{0}, g_read_bytes{0}, g_write_bytes{0};

}  // namespace

HostTransfers host_transfers() {
  constexpr auto relaxed = std::memory_order_relaxed;
  return {g_reads.load(relaxed), g_writes.load(relaxed), g_read_bytes.load(relaxed), g_write_bytes.load(relaxed)};
}

void count_host_read(size_t bytes) {
  g_reads.fetch_add(1, std::memory_order_relaxed);
  g_read_bytes.fetch_add(bytes, std::memory_order_relaxed);
}

void count_host_write(size_t bytes) {
  g_writes.fetch_add(1, std::memory_order_relaxed);
  g_write_bytes.fetch_add(bytes, std::memory_order_relaxed);
}

}  // namespace ml
