// The BLAS library keeps its own thread pool; this sets its size.
#pragma once

namespace lieq {

void SetBlasThreads(int n);

}  // namespace lieq
