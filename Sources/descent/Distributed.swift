import Descent
#if DESCENT_MPI
import DescentMPI
#endif

/// The communicator for this run: MPI under `--distributed` (in a build made with
/// `DESCENT_MPI=1`), otherwise a single process.
func makeCommunicator(distributed: Bool) throws -> any Communicator {
    guard distributed else { return SingleProcessCommunicator() }
    #if DESCENT_MPI
    return try MPICommunicator()
    #else
    throw DescentError.invalidParameter(
        name: "--distributed", value: "",
        expected: "a build with MPI: rebuild with `DESCENT_MPI=1 swift build -c release` (or `make mpi`)")
    #endif
}

/// Ends the MPI session of a distributed run (nothing for a single process).
func finishCommunicator(_ communicator: any Communicator) {
    #if DESCENT_MPI
    (communicator as? MPICommunicator)?.finalize()
    #endif
}
