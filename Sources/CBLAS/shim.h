#ifndef DESCENT_CBLAS_SHIM_H
#define DESCENT_CBLAS_SHIM_H
// OpenBLAS's complex types as structs of two reals: C99 _Complex does not import into Swift.
#define FORCE_OPENBLAS_COMPLEX_STRUCT 1
#include <cblas.h>
#endif
