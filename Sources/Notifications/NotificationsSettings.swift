import ApusCore
import NIOSSL

/// What the notifications module reads from the node's settings.
struct NotificationsSettings: Sendable {
    /// SMTP providers in fallback order (`APUS_SMTP_URLS`).
    var smtpProviders: [SMTPProvider] = []
    /// The sender address (`APUS_SMTP_FROM`).
    var mailFrom = "apus@localhost"
    /// Certificate authorities trusted for SMTP besides the system's (`APUS_SMTP_CA_FILE`, PEM).
    var smtpTrustRoots: [NIOSSLCertificate] = []
    /// Time to connect to an SMTP server (`APUS_SMTP_CONNECT_TIMEOUT`, seconds).
    var smtpConnectTimeout: Duration = .seconds(10)
    /// Time for one whole SMTP exchange (`APUS_SMTP_TIMEOUT`, seconds).
    var smtpTimeout: Duration = .seconds(60)
    /// Outbound destinations allowed despite the SSRF guard (`APUS_EGRESS_ALLOW`).
    var egressPolicy: EgressPolicy
    /// Timeouts of webhook calls (`APUS_EGRESS_CONNECT_TIMEOUT`, `APUS_EGRESS_TIMEOUT`, seconds).
    var egress = EgressSettings()
    /// Seconds a webhook endpoint may fail before it is disabled (`APUS_WEBHOOK_DISABLE_AFTER_SECONDS`, default 5 days).
    var disableEndpointAfter = 5 * 86_400.0

    /// Reads the settings; a bad value is a configuration error naming its variable.
    init(_ settings: Settings) throws(ConfigurationError) {
        smtpProviders = try settings.parse("APUS_SMTP_URLS") { try SMTPProvider.parseList($0) } ?? []
        mailFrom = settings.string("APUS_SMTP_FROM") ?? mailFrom
        if let path = settings.string("APUS_SMTP_CA_FILE") {
            smtpTrustRoots = try settings.parse("APUS_SMTP_CA_FILE") { path in
                do {
                    return try NIOSSLCertificate.fromPEMFile(path)
                } catch {
                    throw ConfigurationError.invalid("APUS_SMTP_CA_FILE", "cannot read PEM certificates from '\(path)': \(error)")
                }
            } ?? []
            guard !smtpTrustRoots.isEmpty else { throw .invalid("APUS_SMTP_CA_FILE", "'\(path)' holds no PEM certificate") }
        }
        smtpConnectTimeout = try settings.duration("APUS_SMTP_CONNECT_TIMEOUT", default: smtpConnectTimeout)
        smtpTimeout = try settings.duration("APUS_SMTP_TIMEOUT", default: smtpTimeout)
        do {
            egressPolicy = try EgressPolicy(allow: settings.string(EgressPolicy.environmentVariable)?.split(separator: ",").map(String.init) ?? [])
        } catch {
            throw .invalid(EgressPolicy.environmentVariable, "\(error)")
        }
        egress.connectTimeout = try settings.duration("APUS_EGRESS_CONNECT_TIMEOUT", default: egress.connectTimeout)
        egress.totalTimeout = try settings.duration("APUS_EGRESS_TIMEOUT", default: egress.totalTimeout)
        disableEndpointAfter = try settings.seconds("APUS_WEBHOOK_DISABLE_AFTER_SECONDS", default: disableEndpointAfter)
    }
}
