internal import CApusSHA

/// What runs SHA-256's compression function for ``ResumableSHA256``: the CPU's SHA instructions
/// (x86 SHA-NI, several times faster) or the portable Swift code. Both give the same state.
package enum SHA256Engine: Sendable, CaseIterable {
    /// The portable Swift compression function.
    case scalar
    /// The CPU's SHA instructions; only where ``hardwareAvailable`` says so.
    case hardware

    /// Whether this CPU has the SHA instructions (asked once).
    package static let hardwareAvailable = apus_sha256_hardware_available() != 0

    /// The fastest engine this CPU runs.
    package static let preferred: SHA256Engine = hardwareAvailable ? .hardware : .scalar

    /// Every engine this CPU runs.
    package static var available: [SHA256Engine] { hardwareAvailable ? [.scalar, .hardware] : [.scalar] }
}
