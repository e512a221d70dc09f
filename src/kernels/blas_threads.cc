#include "kernels/blas_threads.h"

#include <cblas.h>

namespace lieq {

void SetBlasThreads(int n) { openblas_set_num_threads(n); }

}  // namespace lieq
