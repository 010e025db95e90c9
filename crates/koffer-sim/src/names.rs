//! German names for schools, people and the logins and device names made from them.
//!
//! Real districts name devices and logins in plain ASCII, so umlauts are folded ("Müller"
//! becomes "mueller" in a login and "Mueller" in a device name).

pub const DISTRICT_NAME: &str = "Schulverwaltungsamt Musterstadt";

pub const TEMPLATE_NAME: &str = "Vorlagen";

pub const FIRST_NAMES: [&str; 64] = [
    "Lena",
    "Mia",
    "Emma",
    "Hannah",
    "Sofia",
    "Lea",
    "Marie",
    "Emilia",
    "Lina",
    "Clara",
    "Ella",
    "Leonie",
    "Amelie",
    "Johanna",
    "Lara",
    "Anna",
    "Greta",
    "Ida",
    "Frieda",
    "Paula",
    "Zoe",
    "Nele",
    "Jana",
    "Sarah",
    "Aylin",
    "Elif",
    "Katharina",
    "Julia",
    "Sabine",
    "Petra",
    "Andrea",
    "Birgit",
    "Noah",
    "Leon",
    "Paul",
    "Ben",
    "Finn",
    "Elias",
    "Jonas",
    "Luis",
    "Felix",
    "Lukas",
    "Maximilian",
    "Henry",
    "Emil",
    "Anton",
    "Theo",
    "Jakob",
    "Moritz",
    "Niklas",
    "Tim",
    "David",
    "Yusuf",
    "Mehmet",
    "Can",
    "Jan",
    "Tobias",
    "Thomas",
    "Michael",
    "Stefan",
    "Andreas",
    "Jürgen",
    "Matthias",
    "Björn",
];

pub const LAST_NAMES: [&str; 80] = [
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Schäfer",
    "Koch",
    "Bauer",
    "Richter",
    "Klein",
    "Wolf",
    "Schröder",
    "Neumann",
    "Schwarz",
    "Zimmermann",
    "Braun",
    "Krüger",
    "Hofmann",
    "Hartmann",
    "Lange",
    "Schmitt",
    "Werner",
    "Schmitz",
    "Krause",
    "Meier",
    "Lehmann",
    "Schmid",
    "Schulze",
    "Maier",
    "Köhler",
    "Herrmann",
    "König",
    "Walter",
    "Mayer",
    "Huber",
    "Kaiser",
    "Fuchs",
    "Peters",
    "Lang",
    "Scholz",
    "Möller",
    "Weiß",
    "Jung",
    "Hahn",
    "Schubert",
    "Vogel",
    "Friedrich",
    "Keller",
    "Günther",
    "Frank",
    "Berger",
    "Winkler",
    "Roth",
    "Beck",
    "Lorenz",
    "Baumann",
    "Franke",
    "Albrecht",
    "Schuster",
    "Simon",
    "Ludwig",
    "Böhm",
    "Winter",
    "Kraus",
    "Martin",
    "Schumacher",
    "Krämer",
    "Vogt",
    "Stein",
    "Jäger",
    "Otto",
    "Sommer",
    "Yilmaz",
    "Kaya",
    "Demir",
];

/// A kind of school: its name, the two letters of its device names and its years.
#[derive(Debug)]
pub struct SchoolType {
    pub name: &'static str,
    pub code: &'static str,
    pub first_year: u8,
    pub last_year: u8,
    /// From this year on students have their own iPad (1:1); younger years share cases.
    pub one_to_one_from: Option<u8>,
}

const fn school_type(
    name: &'static str,
    code: &'static str,
    years: (u8, u8),
    one_to_one_from: Option<u8>,
) -> SchoolType {
    SchoolType {
        name,
        code,
        first_year: years.0,
        last_year: years.1,
        one_to_one_from,
    }
}

pub const SCHOOL_TYPES: [SchoolType; 8] = [
    school_type("Gesamtschule", "GS", (5, 10), Some(7)),
    school_type("Gymnasium", "GY", (5, 12), Some(8)),
    school_type("Grundschule", "GR", (1, 4), None),
    school_type("Realschule", "RS", (5, 10), Some(7)),
    school_type("Hauptschule", "HS", (5, 10), Some(8)),
    school_type("Sekundarschule", "SK", (5, 10), Some(7)),
    school_type("Förderschule", "FS", (1, 10), Some(7)),
    school_type("Berufskolleg", "BK", (11, 13), Some(11)),
];

pub const LOCATIONS: [&str; 40] = [
    "Nord",
    "am Stadtpark",
    "Lindenweg",
    "Süd",
    "Ost",
    "West",
    "Mitte",
    "am Rosenhügel",
    "an der Ruhr",
    "am Schlossberg",
    "am Wasserturm",
    "Kastanienallee",
    "Birkenhof",
    "im Grünen",
    "am Rathaus",
    "Heideweg",
    "am Marktplatz",
    "an der Linde",
    "Bergstraße",
    "Mühlenbach",
    "am Hafen",
    "Sonnenhang",
    "Kirchfeld",
    "Waldstraße",
    "am Kanal",
    "Ahornweg",
    "Talstraße",
    "Nordstadt",
    "Südpark",
    "Eichenkamp",
    "Finkenstraße",
    "Gartenstadt",
    "Hochfeld",
    "Jahnplatz",
    "Uhlandstraße",
    "Vogelsang",
    "Wiesental",
    "Zeppelinstraße",
    "Ostpark",
    "Rheinufer",
];

/// The first three schools every seed starts with, so demos and docs can name them.
pub const FIRST_SCHOOLS: [(usize, usize); 3] = [(0, 0), (1, 1), (2, 2)];

/// Folds German letters to ASCII: "Jäger" becomes "Jaeger", "Weiß" becomes "Weiss".
pub fn ascii_fold(text: &str) -> String {
    let mut folded = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        match c {
            'ä' => folded.push_str("ae"),
            'ö' => folded.push_str("oe"),
            'ü' => folded.push_str("ue"),
            'Ä' => folded.push_str("Ae"),
            'Ö' => folded.push_str("Oe"),
            'Ü' => folded.push_str("Ue"),
            'ß' => folded.push_str("ss"),
            c if c.is_ascii_alphanumeric() || c == '-' || c == '.' => folded.push(c),
            _ => {}
        }
    }
    folded
}

/// A student's login, "lena.schmidt".
pub fn student_login(first: &str, last: &str) -> String {
    ascii_fold(&format!("{first}.{last}")).to_lowercase()
}

/// A teacher's login, "t.weber".
pub fn teacher_login(first: &str, last: &str) -> String {
    let initial = first.chars().next().unwrap_or('x');
    ascii_fold(&format!("{initial}.{last}")).to_lowercase()
}

/// The short code in a school's device names: type code and the location's first letter,
/// "Gesamtschule Nord" gives "GSN".
pub fn school_code(kind: &SchoolType, location: &str) -> String {
    let word = location
        .split(' ')
        .find(|w| w.starts_with(char::is_uppercase))
        .unwrap_or(location);
    let letter = ascii_fold(word)
        .chars()
        .next()
        .unwrap_or('X')
        .to_ascii_uppercase();
    format!("{}{letter}", kind.code)
}

/// Class letters: "a" to "z", then "aa", "ab", ... for very large schools.
pub fn class_letters(index: usize) -> String {
    let mut letters = Vec::new();
    let mut rest = index;
    loop {
        letters.push(b'a' + (rest % 26) as u8);
        if rest < 26 {
            break;
        }
        rest = rest / 26 - 1;
    }
    letters.reverse();
    String::from_utf8(letters).expect("letters are ASCII")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_are_lower_case_ascii() {
        assert_eq!(
            student_login("Jürgen", "Weiß"),
            "juergen.weiss",
            "logins avoid umlauts"
        );
        assert_eq!(
            teacher_login("Thomas", "Weber"),
            "t.weber",
            "teachers get initial.surname"
        );
    }

    #[test]
    fn school_code_takes_the_locations_capitalised_word() {
        let code = school_code(&SCHOOL_TYPES[1], "am Stadtpark");

        assert_eq!(code, "GYS", "the lower-case article must be skipped");
    }

    #[test]
    fn class_letters_continue_past_z() {
        let letters: Vec<String> = [0, 25, 26, 27, 52]
            .iter()
            .map(|&i| class_letters(i))
            .collect();

        assert_eq!(
            letters,
            ["a", "z", "aa", "ab", "ba"],
            "class names must stay unique"
        );
    }
}
