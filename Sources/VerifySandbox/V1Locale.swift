/// The override locales V1 accepts on a start (its `locale` parameter).
///
/// The list of Twilio's Authy supported-languages page (https://www.twilio.com/docs/authy/supported-languages),
/// compared without regard to case. That page also says what happens to any other value: "If an unsupported
/// override locale is given, a 404 error will be returned … retry the request without the locale parameter".
enum V1Locale {
    /// The supported locales, lowercased.
    static let supported: Set<String> = [
        "af", "ar", "ca", "zh", "zh-cn", "zh-hk", "hr", "cs", "da", "nl", "en", "en-gb", "et", "fi", "fr", "de", "el",
        "he", "hi", "hu", "id", "it", "ja", "kn", "ko", "lt", "mr", "ms", "nb", "pl", "pt-br", "pt", "ro", "ru", "sk",
        "es", "sv", "te", "tl", "th", "tr", "vi",
    ]

    /// Whether a start may name this locale, e.g. `pt-BR` or `en`.
    static func isSupported(_ locale: String) -> Bool {
        supported.contains(locale.lowercased())
    }
}
