internal import CMPI
import Descent

/// A ``Communicator`` over MPI (OpenMPI): one instance per process, created after the
/// process starts under `mpirun`; `MPI_Finalize` runs when ``finalize()`` is called.
public final class MPICommunicator: Communicator, @unchecked Sendable {
    /// This process's rank in `MPI_COMM_WORLD`.
    public let rank: Int
    /// The size of `MPI_COMM_WORLD`.
    public let size: Int

    /// Initializes MPI (once per process) and reads rank and size.
    public init() throws {
        var initialized: Int32 = 0
        MPI_Initialized(&initialized)
        if initialized == 0 {
            let code = MPI_Init(nil, nil)
            guard code == descent_mpi_success() else {
                throw DescentError.numericalFailure("MPI_Init failed with code \(code)")
            }
        }
        var rank: Int32 = 0, size: Int32 = 0
        MPI_Comm_rank(descent_mpi_comm_world(), &rank)
        MPI_Comm_size(descent_mpi_comm_world(), &size)
        self.rank = Int(rank)
        self.size = Int(size)
    }

    /// Gathers `values` from every rank, in rank order, on every rank (`MPI_Allgather`).
    public func allGather(_ values: [Double]) throws -> [[Double]] {
        let count = values.count
        var gathered = [Double](repeating: 0, count: count * size)
        let code = values.withUnsafeBufferPointer { send in
            gathered.withUnsafeMutableBufferPointer { receive in
                MPI_Allgather(send.baseAddress, Int32(count), descent_mpi_double(),
                              receive.baseAddress, Int32(count), descent_mpi_double(), descent_mpi_comm_world())
            }
        }
        guard code == descent_mpi_success() else {
            throw DescentError.numericalFailure("MPI_Allgather failed with code \(code) on rank \(rank)")
        }
        return (0..<size).map { Array(gathered[($0 * count)..<(($0 + 1) * count)]) }
    }

    /// `MPI_Barrier` on `MPI_COMM_WORLD`.
    public func barrier() throws {
        let code = MPI_Barrier(descent_mpi_comm_world())
        guard code == descent_mpi_success() else {
            throw DescentError.numericalFailure("MPI_Barrier failed with code \(code) on rank \(rank)")
        }
    }

    /// Shuts MPI down; call once, at the end of the process.
    public func finalize() {
        var finalized: Int32 = 0
        MPI_Finalized(&finalized)
        if finalized == 0 { MPI_Finalize() }
    }
}
