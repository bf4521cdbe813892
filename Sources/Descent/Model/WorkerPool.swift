import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The number of cores this process may run on (at least 1): the default thread count of
/// the training kernels.
public var availableCoreCount: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

/// A persistent pool of worker threads for the epoch kernels.
///
/// Threads are created once, the first time a run asks for them, and then sleep on a
/// semaphore between runs: creating a thread per epoch cost up to 40% of a memory-bound
/// epoch on this machine (DESIGN.md). A run hands out task indices dynamically (an atomic
/// counter), so a descheduled thread does not hold up the others; callers make their result
/// independent of which thread ran which task (per-task partial results reduced in task order).
///
/// One run at a time: a caller that finds the pool busy (another thread is running an
/// epoch) runs all its tasks itself, which gives the same numbers, only later.
final class WorkerPool: @unchecked Sendable {
    /// The process-wide pool.
    static let shared = WorkerPool()

    private let busy = Atomic<Bool>(false)
    private let nextTask = Atomic<Int>(0)
    private let finished = DispatchSemaphore(value: 0)
    // Written by the caller before the workers are signalled, read by them after: the
    // semaphores order the accesses.
    private var workers: [Worker] = []
    private var job: ((_ task: Int, _ worker: Int) -> Void)?
    private var taskCount = 0

    private final class Worker: @unchecked Sendable {
        let start = DispatchSemaphore(value: 0)
        let index: Int
        let pool: WorkerPool
        init(index: Int, pool: WorkerPool) {
            self.index = index
            self.pool = pool
        }
        func loop() -> Never {
            while true {
                start.wait()
                pool.drain(worker: index)
                pool.finished.signal()
            }
        }
    }

    /// Runs `body(task, worker)` for every `task` in `0..<tasks` on up to `threads` threads
    /// (the caller is worker 0; worker indices are below `min(threads, tasks)`), returning
    /// when all tasks are done.
    func run(tasks: Int, threads: Int, _ body: (_ task: Int, _ worker: Int) -> Void) {
        let wanted = min(threads, tasks)
        guard wanted > 1, busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            for task in 0..<tasks { body(task, 0) }
            return
        }
        defer { busy.store(false, ordering: .releasing) }
        while workers.count < wanted - 1 { spawn() }
        withoutActuallyEscaping(body) { body in
            job = body
            taskCount = tasks
            nextTask.store(0, ordering: .relaxed)
            for w in 0..<(wanted - 1) { workers[w].start.signal() }
            drain(worker: 0)
            for _ in 0..<(wanted - 1) { finished.wait() }
            job = nil
        }
    }

    private func drain(worker: Int) {
        guard let job else { return }
        let count = taskCount
        while true {
            let task = nextTask.wrappingAdd(1, ordering: .relaxed).oldValue
            if task >= count { break }
            job(task, worker)
        }
    }

    private func spawn() {
        let worker = Worker(index: workers.count + 1, pool: self)
        workers.append(worker)
        let context = Unmanaged.passRetained(worker).toOpaque()
        #if canImport(Darwin)
        var thread: pthread_t?
        #else
        var thread = pthread_t()
        #endif
        let status = pthread_create(&thread, nil, { raw in
            let worker = Unmanaged<Worker>.fromOpaque(raw!).takeRetainedValue()
            worker.loop()
        }, context)
        precondition(status == 0, "WorkerPool: pthread_create failed with \(status)")
        #if canImport(Darwin)
        pthread_detach(thread!)
        #else
        pthread_detach(thread)
        #endif
    }
}
