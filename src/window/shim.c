/* MPI handle constants that rsmpi's generated bindings do not export.
 * Open MPI defines handles as addresses of global objects, MPICH as integer
 * constants, so they are copied into link-time constants here. */
#include <mpi.h>

const MPI_Op GAIN_MPI_REPLACE = MPI_REPLACE;
const MPI_Op GAIN_MPI_NO_OP = MPI_NO_OP;
const MPI_Op GAIN_MPI_SUM = MPI_SUM;
const MPI_Datatype GAIN_MPI_BYTE = MPI_BYTE;
const MPI_Info GAIN_MPI_INFO_NULL = MPI_INFO_NULL;
const MPI_Comm GAIN_MPI_COMM_WORLD = MPI_COMM_WORLD;
const MPI_Win GAIN_MPI_WIN_NULL = MPI_WIN_NULL;
const int GAIN_MPI_WIN_MODEL = MPI_WIN_MODEL;
const int GAIN_MPI_WIN_UNIFIED = MPI_WIN_UNIFIED;
const int GAIN_MPI_WIN_SEPARATE = MPI_WIN_SEPARATE;
const int GAIN_MPI_MODE_NOCHECK = MPI_MODE_NOCHECK;
const int GAIN_MPI_SUCCESS = MPI_SUCCESS;
const int GAIN_MPI_MAX_ERROR_STRING = MPI_MAX_ERROR_STRING;
void *const GAIN_MPI_IN_PLACE = MPI_IN_PLACE;
