#include "base/cpu_flags.h"

#if defined(__x86_64__) || defined(__i386__)
#include <pmmintrin.h>
#include <xmmintrin.h>
#endif

namespace ml {

static void flush_this_thread() {
#if defined(__x86_64__) || defined(__i386__)
  _MM_SET_FLUSH_ZERO_MODE(_MM_FLUSH_ZERO_ON);
  _MM_SET_DENORMALS_ZERO_MODE(_MM_DENORMALS_ZERO_ON);
#endif
}

void flush_denormals_to_zero() {
  flush_this_thread();
#pragma omp parallel
  flush_this_thread();
}

}  // namespace ml
