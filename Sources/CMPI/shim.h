#ifndef DESCENT_CMPI_SHIM_H
#define DESCENT_CMPI_SHIM_H
#include <mpi.h>
// OpenMPI's handles (MPI_COMM_WORLD, MPI_DOUBLE, MPI_SUM, MPI_IN_PLACE) are macros over
// addresses of globals that Swift cannot import; expose them as functions.
static inline MPI_Comm descent_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype descent_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype descent_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Op descent_mpi_sum(void) { return MPI_SUM; }
static inline MPI_Op descent_mpi_max(void) { return MPI_MAX; }
static inline void *descent_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline int descent_mpi_success(void) { return MPI_SUCCESS; }
#endif
