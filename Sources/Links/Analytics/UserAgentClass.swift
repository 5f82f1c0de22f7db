/// A user agent reduced to what the statistics show: browser, OS, device type, bot or not.
struct UserAgentClass: Sendable, Equatable {
    let browser: String
    let os: String
    let device: String
    let isBot: Bool

    init(browser: String, os: String, device: String, isBot: Bool) {
        self.browser = browser
        self.os = os
        self.device = device
        self.isBot = isBot
    }

    /// Classifies a `User-Agent` header by the markers browsers and crawlers send.
    init(_ header: String?) {
        let agent = (header ?? "").lowercased()
        let botMarkers = ["bot", "crawler", "spider", "slurp", "curl/", "wget/", "python-requests", "httpclient", "headless", "preview", "facebookexternalhit", "wrk"]
        isBot = agent.isEmpty || botMarkers.contains { agent.contains($0) }
        browser =
            if agent.contains("edg/") { "Edge" }
            else if agent.contains("opr/") || agent.contains("opera") { "Opera" }
            else if agent.contains("firefox/") { "Firefox" }
            else if agent.contains("chrome/") || agent.contains("crios/") { "Chrome" }
            else if agent.contains("safari/") { "Safari" }
            else { "Other" }
        os =
            if agent.contains("android") { "Android" }
            else if agent.contains("iphone") || agent.contains("ipad") || agent.contains("ios") { "iOS" }
            else if agent.contains("windows") { "Windows" }
            else if agent.contains("mac os x") || agent.contains("macintosh") { "macOS" }
            else if agent.contains("linux") { "Linux" }
            else { "Other" }
        device =
            if isBot { "bot" }
            else if agent.contains("ipad") || agent.contains("tablet") { "tablet" }
            else if agent.contains("mobi") || agent.contains("iphone") || agent.contains("android") { "mobile" }
            else { "desktop" }
    }
}
