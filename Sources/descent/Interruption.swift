#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Ctrl-C during training: the first SIGINT asks the trainer to stop after the current epoch
/// (saving a checkpoint when `--checkpoint` is given, and leaving no partial file); a second
/// one ends the process at once.
enum Interruption {
    private static let flag = Atomic<Bool>(false)

    /// Whether Ctrl-C was pressed.
    static var requested: Bool { flag.load(ordering: .relaxed) }

    /// Installs the SIGINT handler.
    static func install() {
        // A parent may start us with SIGINT blocked (a signal mask is inherited): unblock it.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        signal(SIGINT) { _ in
            if Interruption.flag.exchange(true, ordering: .relaxed) { _exit(130) }
        }
    }
}
