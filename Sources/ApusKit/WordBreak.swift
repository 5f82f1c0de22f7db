/// Word break: splitting text typed without spaces (`summersale`) into words of a vocabulary,
/// by dynamic programming over its prefixes. Of every split, the one with the fewest words wins
/// (`summer sale`, not `sum mer sale`), and among those the one whose words are longest first.
public enum WordBreak {
    /// The words `text` splits into, each one `isWord` accepts, or `nil` when no split uses only
    /// such words. `maximumWordLength` bounds the work to `text.count × maximumWordLength` checks.
    public static func segment(_ text: String, maximumWordLength: Int = 24, isWord: (Substring) -> Bool) -> [String]? {
        let characters = Array(text)
        let count = characters.count
        guard count > 0 else { return nil }
        // best[i]: the fewest words that spell the first i characters, and where the last starts.
        var best: [(words: Int, start: Int)?] = Array(repeating: nil, count: count + 1)
        best[0] = (0, 0)
        for end in 1...count {
            for start in Swift.max(0, end - maximumWordLength)..<end {
                guard let before = best[start] else { continue }
                let candidate = (words: before.words + 1, start: start)
                // Fewer words first; on a tie, the longer last word (the earlier start).
                if let current = best[end], current.words < candidate.words || (current.words == candidate.words && current.start <= start) { continue }
                if isWord(Substring(String(characters[start..<end]))) { best[end] = candidate }
            }
        }
        guard best[count] != nil else { return nil }
        var words: [String] = []
        var end = count
        while end > 0, let step = best[end] {
            words.append(String(characters[step.start..<end]))
            end = step.start
        }
        return words.reversed()
    }

    /// Every substring `segment` may ask about, for looking them up in one round trip.
    public static func candidates(_ text: String, maximumWordLength: Int = 24) -> Set<String> {
        let characters = Array(text)
        var result: Set<String> = []
        for start in characters.indices {
            for end in (start + 1)...Swift.min(characters.count, start + maximumWordLength) {
                result.insert(String(characters[start..<end]))
            }
        }
        return result
    }
}
