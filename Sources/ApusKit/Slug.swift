/// URL slugs made from titles: Unicode letters folded to ASCII where they have an ASCII
/// spelling (`Crème Brûlée` → `creme-brulee`, `Straße` → `strasse`), lower case, runs of anything
/// else turned into one hyphen. Letters of scripts with no ASCII spelling are kept (lower-cased),
/// so a title in Greek or Japanese still gets a slug that says something.
public enum Slug {
    /// The longest slug `make` returns, in characters; it cuts at a hyphen when it can.
    public static let maximumLength = 96

    /// The slug of `text`: `nil` when nothing in it can be spelled (only punctuation, say).
    public static func make(from text: String) -> String? {
        var slug = ""
        var pendingHyphen = false
        for scalar in text.unicodeScalars {
            guard let spelled = spelling(of: scalar) else {
                pendingHyphen = !slug.isEmpty
                continue
            }
            // Combining marks fold into the letter before them: they add nothing.
            if spelled.isEmpty { continue }
            if pendingHyphen { slug.append("-"); pendingHyphen = false }
            slug.append(spelled)
        }
        guard !slug.isEmpty else { return nil }
        return cut(slug)
    }

    /// Whether `text` is already a slug as `make` writes them: lower-case letters, digits and
    /// single inner hyphens (an editor's own slug is held to this).
    public static func isValid(_ text: String) -> Bool {
        guard !text.isEmpty, text.count <= maximumLength, text.first != "-", text.last != "-", !text.contains("--") else { return false }
        return text.unicodeScalars.allSatisfy { scalar in
            scalar == "-" || (scalar.properties.isAlphabetic && !scalar.properties.isUppercase) || scalar.properties.numericType == .decimal
        }
    }

    /// `slug` with `-2`, `-3`… : the `n`th candidate when the plain slug is taken (`n` from 2).
    public static func numbered(_ slug: String, _ n: Int) -> String {
        let suffix = "-\(n)"
        return String(cut(slug, to: maximumLength - suffix.count)) + suffix
    }

    private static func cut(_ slug: String, to length: Int = maximumLength) -> String {
        guard slug.count > length else { return slug }
        let prefix = slug.prefix(length)
        if let hyphen = prefix.lastIndex(of: "-"), prefix.distance(from: prefix.startIndex, to: hyphen) > length / 2 {
            return String(prefix[..<hyphen])
        }
        return String(prefix.last == "-" ? prefix.dropLast() : prefix)
    }

    /// The ASCII spelling of one scalar: `""` for a combining mark, `nil` for a separator.
    private static func spelling(of scalar: Unicode.Scalar) -> String? {
        switch scalar.value {
        case 0x30...0x39, 0x61...0x7A: return String(scalar)
        case 0x41...0x5A: return String(Character(scalar)).lowercased()
        case 0x00...0x7F: return nil
        default: break
        }
        if let special = specials[scalar] { return special }
        if scalar.properties.generalCategory == .nonspacingMark || scalar.properties.generalCategory == .spacingMark { return "" }
        if let base = accented[scalar] { return String(base) }
        if scalar.properties.isAlphabetic || scalar.properties.numericType == .decimal {
            return String(scalar).lowercased()
        }
        return nil
    }

    /// Latin letters with diacritics (U+00C0–U+024F, U+1E00–U+1EFF) and the ASCII base letter of
    /// each one's canonical decomposition, generated from the Unicode data.
    private static let accented: [Unicode.Scalar: Unicode.Scalar] = {
        let letters = Array((
            "ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöù" +
            "úûüýÿĀāĂăĄąĆćĈĉĊċČčĎďĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĨĩĪīĬĭĮ" +
            "įİĴĵĶķĹĺĻļĽľŃńŅņŇňŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭ" +
            "ŮůŰűŲųŴŵŶŷŸŹźŻżŽžƠơƯưǍǎǏǐǑǒǓǔǕǖǗǘǙǚǛǜǞǟǠǡǦǧǨǩǪǫǬ" +
            "ǭǰǴǵǸǹǺǻȀȁȂȃȄȅȆȇȈȉȊȋȌȍȎȏȐȑȒȓȔȕȖȗȘșȚțȞȟȦȧȨȩȪȫȬȭȮȯ" +
            "ȰȱȲȳḀḁḂḃḄḅḆḇḈḉḊḋḌḍḎḏḐḑḒḓḔḕḖḗḘḙḚḛḜḝḞḟḠḡḢḣḤḥḦḧḨḩḪḫ" +
            "ḬḭḮḯḰḱḲḳḴḵḶḷḸḹḺḻḼḽḾḿṀṁṂṃṄṅṆṇṈṉṊṋṌṍṎṏṐṑṒṓṔṕṖṗṘṙṚṛ" +
            "ṜṝṞṟṠṡṢṣṤṥṦṧṨṩṪṫṬṭṮṯṰṱṲṳṴṵṶṷṸṹṺṻṼṽṾṿẀẁẂẃẄẅẆẇẈẉẊẋ" +
            "ẌẍẎẏẐẑẒẓẔẕẖẗẘẙẠạẢảẤấẦầẨẩẪẫẬậẮắẰằẲẳẴẵẶặẸẹẺẻẼẽẾếỀề" +
            "ỂểỄễỆệỈỉỊịỌọỎỏỐốỒồỔổỖỗỘộỚớỜờỞởỠỡỢợỤụỦủỨứỪừỬửỮữỰự" +
            "ỲỳỴỵỶỷỸỹ"
        ).unicodeScalars)
        let bases = Array((
            "aaaaaaceeeeiiiinooooouuuuyaaaaaaceeeeiiiinooooou" +
            "uuuyyaaaaaaccccccccddeeeeeeeeeegggggggghhiiiiiii" +
            "iijjkkllllllnnnnnnoooooorrrrrrssssssssttttuuuuuu" +
            "uuuuuuwwyyyzzzzzzoouuaaiioouuuuuuuuuuaaaaggkkooo" +
            "ojggnnaaaaaaeeeeiiiioooorrrruuuusstthhaaeeoooooo" +
            "ooyyaabbbbbbccddddddddddeeeeeeeeeeffgghhhhhhhhhh" +
            "iiiikkkkkkllllllllmmmmmmnnnnnnnnoooooooopppprrrr" +
            "rrrrssssssssssttttttttuuuuuuuuuuvvvvwwwwwwwwwwxx" +
            "xxyyzzzzzzhtwyaaaaaaaaaaaaaaaaaaaaaaaaeeeeeeeeee" +
            "eeeeeeiiiioooooooooooooooooooooooouuuuuuuuuuuuuu" +
            "yyyyyyyy"
        ).unicodeScalars)
        return Dictionary(uniqueKeysWithValues: zip(letters, bases))
    }()

    /// Letters whose ASCII spelling is not their decomposition's base.
    private static let specials: [Unicode.Scalar: String] = [
        "ß": "ss", "ẞ": "ss", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "ø": "o", "Ø": "o",
        "đ": "d", "Đ": "d", "ð": "d", "Ð": "d", "þ": "th", "Þ": "th", "ł": "l", "Ł": "l",
        "ı": "i", "ħ": "h", "Ħ": "h", "ŋ": "n", "Ŋ": "n", "ſ": "s",
        "\u{2019}": "", "'": "",
    ]
}
