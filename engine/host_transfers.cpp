#include "engine/host_transfers.h"

#include <atomic>

namespace ml {
namespace {

std::atomic<uint64_t> g_reads{0}, g_writes{0};

}  // namespace

HostTransfers host_transfers() { return {g_reads.load(std::memory_order_relaxed), g_writes.load(std::memory_order_relaxed)}; }
void count_host_read() { g_reads.fetch_add(1, std::memory_order_relaxed); }
void count_host_write() { g_writes.fetch_add(1, std::memory_order_relaxed); }

}  // namespace ml
