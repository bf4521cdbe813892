#include "KernelSupport.h"

bool descent_kernels_cpu_has_v3(void) {
#if DESCENT_HAVE_V3
    // Cached by the compiler runtime (cpu model initialised once, before main).
    return __builtin_cpu_supports("x86-64-v3");
#else
    return false;
#endif
}

const char *descent_kernels_instruction_set(void) {
#if DESCENT_HAVE_V3
    return descent_kernels_cpu_has_v3() ? "x86-64-v3 (AVX2, FMA)" : "x86-64 baseline (SSE2)";
#else
    return "portable C";
#endif
}
