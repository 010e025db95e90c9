//! Seeding: a district with its schools, people, devices, classes, policies and licences.
//!
//! Everything is drawn from one ChaCha8 stream seeded with `--seed` and consumed in a fixed
//! order, so the same seed and options give the same district, uuid for uuid. Times are offsets
//! from the simulated clock's start, never read from the wall clock.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveTime, Utc};
use koffer_api::{
    AppCompliance, CatalogApp, ClassMember, DeviceGroup, GroupKind, ListMode, OrganizationKind,
    Policy, PolicyConfiguration, Role, SchoolClass, TimeWindow,
};
use rand::seq::{index, IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::catalogue::{self, AppIdx, AppKind};
use crate::district::{Account, CaseSet, District, OrgIdx, Organisation, Person};
use crate::enrolment::{self, DeviceRole, Placement, REQUIRED_APP};
use crate::inventory::PersonIdx;
use crate::names::{self, SchoolType};
use crate::policy_seed;
use crate::uuid::Uuid;

/// What to seed.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub seed: u64,
    pub schools: usize,
    /// Devices over all schools.
    pub devices: usize,
}

/// Students per class in the years with their own iPads.
const CLASS_SIZE: usize = 26;

pub fn seed(plan: &Plan, start: DateTime<Utc>) -> District {
    let mut seeder = Seeder::new(plan.seed, start);
    let (mut district, kinds) = seeder.organisations(plan.schools);
    seeder.district_admin(&mut district);
    let templates = seeder.template_policies(&mut district);
    let counts = seeder.device_counts(plan.devices, plan.schools);
    for ((org, kind), devices) in district.schools().into_iter().zip(kinds).zip(counts) {
        seeder.school(&mut district, SchoolPlan { org, kind, devices }, &templates);
    }
    policy_seed::provision(&mut district, plan.seed, start);
    crate::lesson_api::seed_class_apps(&mut district, plan.seed);
    district
}

/// One school to seed.
#[derive(Clone, Copy)]
struct SchoolPlan {
    org: OrgIdx,
    kind: &'static SchoolType,
    devices: usize,
}

/// How a school's devices split into teachers' iPads, cases and students' iPads.
struct Layout {
    teacher_devices: usize,
    case_sizes: Vec<usize>,
    student_devices: usize,
    teachers: usize,
}

/// The template policies schools copy, by role.
struct Templates {
    students: String,
    lessons: String,
    exams: String,
}

/// A school's groups, as the device and class steps need them.
struct SchoolGroups {
    cases: Vec<u16>,
    teachers: u16,
    students: Vec<(u8, u16)>,
}

/// A school's id and its teachers, as the class steps need them.
struct Staff<'a> {
    org: OrgIdx,
    teachers: &'a [(PersonIdx, &'static str)],
}

struct Seeder {
    rng: ChaCha8Rng,
    start: DateTime<Utc>,
    logins: UniqueNames,
}

impl Seeder {
    fn new(seed: u64, start: DateTime<Utc>) -> Seeder {
        Seeder {
            rng: ChaCha8Rng::seed_from_u64(seed),
            start,
            logins: UniqueNames::default(),
        }
    }

    /// The district, its schools and the template organisation, in that order.
    fn organisations(&mut self, schools: usize) -> (District, Vec<&'static SchoolType>) {
        let district_uuid = Uuid::random(&mut self.rng);
        let name = names::DISTRICT_NAME.to_owned();
        let mut orgs = vec![Organisation::new(
            district_uuid,
            name,
            OrganizationKind::District,
            None,
        )];
        let mut kinds = Vec::with_capacity(schools);
        for (name, code, kind) in self.school_names(schools) {
            let uuid = Uuid::random(&mut self.rng);
            let mut school =
                Organisation::new(uuid, name, OrganizationKind::School, Some(district_uuid));
            school.code = code;
            orgs.push(school);
            kinds.push(kind);
        }
        let template_uuid = Uuid::random(&mut self.rng);
        let template = names::TEMPLATE_NAME.to_owned();
        orgs.push(Organisation::new(
            template_uuid,
            template,
            OrganizationKind::Template,
            None,
        ));
        (District::new(orgs), kinds)
    }

    /// Unique school names and device-name codes; the first three are always the same.
    fn school_names(&mut self, count: usize) -> Vec<(String, String, &'static SchoolType)> {
        let mut combinations: Vec<(usize, usize)> = (0..names::SCHOOL_TYPES.len())
            .flat_map(|kind| (0..names::LOCATIONS.len()).map(move |place| (kind, place)))
            .filter(|pair| !names::FIRST_SCHOOLS.contains(pair))
            .collect();
        combinations.shuffle(&mut self.rng);
        let order: Vec<(usize, usize)> = names::FIRST_SCHOOLS
            .iter()
            .copied()
            .chain(combinations)
            .collect();
        let mut codes = UniqueNames::default();
        (0..count)
            .map(|i| {
                let (kind, place) = order[i % order.len()];
                let kind = &names::SCHOOL_TYPES[kind];
                let location = names::LOCATIONS[place];
                let round = i / order.len();
                let suffix = if round == 0 {
                    String::new()
                } else {
                    format!(" {}", round + 1)
                };
                let name = format!("{} {location}{suffix}", kind.name);
                let code = codes.claim(names::school_code(kind, location));
                (name, code, kind)
            })
            .collect()
    }

    /// Devices per school, deliberately uneven, summing to exactly `total`.
    fn device_counts(&mut self, total: usize, schools: usize) -> Vec<usize> {
        let weights: Vec<f64> = (0..schools)
            .map(|_| self.rng.random_range(0.4..1.6))
            .collect();
        let sum: f64 = weights.iter().sum();
        let ideal: Vec<f64> = weights.iter().map(|w| total as f64 * w / sum).collect();
        let mut counts: Vec<usize> = ideal.iter().map(|x| x.floor() as usize).collect();
        let mut by_remainder: Vec<usize> = (0..schools).collect();
        by_remainder.sort_by(|&a, &b| {
            let (ra, rb) = (ideal[a] - ideal[a].floor(), ideal[b] - ideal[b].floor());
            rb.total_cmp(&ra).then(a.cmp(&b))
        });
        let missing = total - counts.iter().sum::<usize>();
        for &school in by_remainder.iter().cycle().take(missing) {
            counts[school] += 1;
        }
        counts
    }

    fn district_admin(&mut self, district: &mut District) {
        let (first, last) = self.person_name();
        let login = self.logins.claim("admin.musterstadt".to_owned());
        let rights = (0..district.organisations.len()).collect();
        let account = self.account(
            login,
            format!("{first} {last}"),
            Role::DistrictAdmin,
            0,
            rights,
        );
        district.add_account(account);
    }

    fn account(
        &mut self,
        login: String,
        display_name: String,
        role: Role,
        home: OrgIdx,
        rights: Vec<OrgIdx>,
    ) -> Account {
        let uuid = Uuid::random(&mut self.rng).to_string();
        let token_bytes: [u8; 20] = self.rng.random();
        let token = token_bytes.iter().map(|b| format!("{b:02x}")).collect();
        Account {
            uuid,
            login,
            display_name,
            role,
            home,
            rights,
            token,
            revoked: false,
        }
    }

    fn person_name(&mut self) -> (&'static str, &'static str) {
        let first = *names::FIRST_NAMES
            .choose(&mut self.rng)
            .expect("first names");
        let last = *names::LAST_NAMES.choose(&mut self.rng).expect("last names");
        (first, last)
    }

    fn template_policies(&mut self, district: &mut District) -> Templates {
        let org = district.organisations.len() - 1;
        let core_and_school: Vec<AppIdx> = (0..catalogue::APPS.len() as AppIdx)
            .filter(|&app| catalogue::app_entry(app).kind != AppKind::Personal)
            .collect();
        let students = self.policy(district, org, "Schüler-iPads", forbid_personal_apps());
        let mut lessons = self.policy(
            district,
            org,
            "Unterricht mit Zeitfenster",
            allow_only(&core_and_school),
        );
        lessons.time_windows = lesson_hours();
        let mut exams = self.policy(district, org, "Prüfungsmodus", allow_only(&exam_apps()));
        exams.time_windows = exam_hours();
        let templates = Templates {
            students: students.uuid.clone(),
            lessons: lessons.uuid.clone(),
            exams: exams.uuid.clone(),
        };
        district.organisations[org].policies = vec![students, lessons, exams];
        templates
    }

    fn policy(
        &mut self,
        district: &District,
        org: OrgIdx,
        name: &str,
        configuration: PolicyConfiguration,
    ) -> Policy {
        let age = Duration::seconds(self.rng.random_range(86_400..200 * 86_400));
        Policy {
            uuid: Uuid::random(&mut self.rng).to_string(),
            organization_uuid: district.organisations[org].uuid().to_owned(),
            name: name.to_owned(),
            version: self.rng.random_range(1..=5),
            published: true,
            group_uuids: Vec::new(),
            time_windows: Vec::new(),
            configurations: vec![configuration],
            template_uuid: None,
            modification_date: self.start - age,
            versions: Vec::new(),
        }
    }

    fn school(&mut self, district: &mut District, plan: SchoolPlan, templates: &Templates) {
        district.organisations[plan.org].app_pool = self.app_pool();
        let layout = self.layout(plan.devices, plan.kind);
        let groups = self.groups(district, &plan, &layout);
        let teachers = self.teachers(district, layout.teachers);
        self.teacher_devices(
            district,
            plan.org,
            &teachers[..layout.teacher_devices],
            &groups,
        );
        self.case_devices(district, plan.org, &layout.case_sizes);
        self.classes(district, &plan, &layout, &groups, &teachers);
        self.school_policies(district, plan.org, &groups, templates);
        self.licences(district, plan.org);
        self.school_accounts(district, &plan, &teachers);
    }

    /// Apple's core apps and a school's own choice of learning apps.
    fn app_pool(&mut self) -> Vec<AppIdx> {
        let school_apps = catalogue::apps_of_kind(AppKind::School);
        let chosen = self.rng.random_range(12..=school_apps.len());
        let mut pool = catalogue::apps_of_kind(AppKind::Core);
        pool.extend(
            index::sample(&mut self.rng, school_apps.len(), chosen)
                .iter()
                .map(|i| school_apps[i]),
        );
        pool.sort_unstable();
        pool
    }

    fn layout(&mut self, devices: usize, kind: &SchoolType) -> Layout {
        let teacher_devices = (devices as f64 * 0.12).round() as usize;
        let rest = devices - teacher_devices;
        let student_devices = match kind.one_to_one_from {
            Some(_) => (rest as f64 * 0.55).round() as usize,
            None => 0,
        };
        let mut case_devices = rest - student_devices;
        let mut case_sizes = Vec::new();
        while case_devices > 0 {
            let size = self.rng.random_range(16..=32).min(case_devices);
            case_sizes.push(size);
            case_devices -= size;
        }
        let teachers = teacher_devices.max(2);
        Layout {
            teacher_devices,
            case_sizes,
            student_devices,
            teachers,
        }
    }

    /// Cases ("Koffer 3"), the teachers' group and one students' group per 1:1 year.
    fn groups(
        &mut self,
        district: &mut District,
        plan: &SchoolPlan,
        layout: &Layout,
    ) -> SchoolGroups {
        let mut cases = Vec::new();
        for number in 1..=layout.case_sizes.len() {
            let group = self.group(
                district,
                plan.org,
                format!("Koffer {number}"),
                GroupKind::Case,
            );
            let shared_ipad = self.rng.random_bool(0.1);
            let case = CaseSet {
                group,
                number,
                next_slot: 1,
                shared_ipad,
            };
            district.organisations[plan.org].cases.push(case);
            cases.push(group);
        }
        let teachers = self.group(
            district,
            plan.org,
            "Lehrkräfte".to_owned(),
            GroupKind::Teacher,
        );
        let students = match (layout.student_devices, plan.kind.one_to_one_from) {
            (0, _) | (_, None) => Vec::new(),
            (_, Some(from)) => (from..=plan.kind.last_year)
                .map(|year| {
                    let name = format!("Jahrgang {year} (1:1)");
                    (
                        year,
                        self.group(district, plan.org, name, GroupKind::Student),
                    )
                })
                .collect(),
        };
        SchoolGroups {
            cases,
            teachers,
            students,
        }
    }

    fn group(
        &mut self,
        district: &mut District,
        org: OrgIdx,
        name: String,
        kind: GroupKind,
    ) -> u16 {
        let organisation = &mut district.organisations[org];
        organisation.groups.push(DeviceGroup {
            uuid: Uuid::random(&mut self.rng).to_string(),
            organization_uuid: organisation.wire.uuid.clone(),
            name,
            kind,
        });
        (organisation.groups.len() - 1) as u16
    }

    fn teachers(
        &mut self,
        district: &mut District,
        count: usize,
    ) -> Vec<(PersonIdx, &'static str)> {
        (0..count)
            .map(|_| {
                let (first, last) = self.person_name();
                let login = self.logins.claim(names::teacher_login(first, last));
                let person = Person {
                    login,
                    display_name: format!("{first} {last}"),
                };
                (district.add_person(person), last)
            })
            .collect()
    }

    fn teacher_devices(
        &mut self,
        district: &mut District,
        org: OrgIdx,
        teachers: &[(PersonIdx, &'static str)],
        groups: &SchoolGroups,
    ) {
        for &(person, last) in teachers {
            let name = format!(
                "{}-L-{}",
                district.organisations[org].code,
                names::ascii_fold(last)
            );
            let placement = Placement {
                org,
                name,
                user: Some(person),
                groups: vec![groups.teachers],
                role: DeviceRole::Teacher,
                shared_ipad: false,
            };
            self.enrol(district, placement);
        }
    }

    fn case_devices(&mut self, district: &mut District, org: OrgIdx, sizes: &[usize]) {
        for (i, &size) in sizes.iter().enumerate() {
            let case = district.organisations[org].cases[i].clone();
            for slot in 1..=size {
                let placement = case_placement(district, org, &case, slot);
                self.enrol(district, placement);
            }
            district.organisations[org].cases[i].next_slot = size + 1;
        }
    }

    /// Classes of every year: younger years share a case, older ones have their own iPads.
    fn classes(
        &mut self,
        district: &mut District,
        plan: &SchoolPlan,
        layout: &Layout,
        groups: &SchoolGroups,
        teachers: &[(PersonIdx, &'static str)],
    ) {
        if plan.devices == 0 {
            return;
        }
        let staff = Staff {
            org: plan.org,
            teachers,
        };
        let one_to_one_from = plan
            .kind
            .one_to_one_from
            .filter(|_| !groups.students.is_empty());
        let case_years: Vec<u8> = (plan.kind.first_year..=plan.kind.last_year)
            .filter(|&year| one_to_one_from.is_none_or(|from| year < from))
            .collect();
        self.case_classes(district, &staff, &case_years, &groups.cases);
        self.one_to_one_classes(district, &staff, layout.student_devices, &groups.students);
    }

    /// Two classes per case over the years that share cases, each class with one of them.
    fn case_classes(
        &mut self,
        district: &mut District,
        staff: &Staff,
        years: &[u8],
        cases: &[u16],
    ) {
        if years.is_empty() {
            return;
        }
        let per_year = (2 * cases.len()).div_ceil(years.len()).max(1);
        for (i, (year, letter)) in years
            .iter()
            .flat_map(|&year| (0..per_year).map(move |letter| (year, letter)))
            .enumerate()
        {
            let name = format!("{year}{}", names::class_letters(letter));
            let case = cases.get(i % cases.len().max(1)).copied();
            let class = self.case_class(district, staff, name, case);
            district.organisations[staff.org].classes.push(class);
        }
    }

    /// The students' iPads spread evenly over classes of about [`CLASS_SIZE`] per 1:1 year.
    fn one_to_one_classes(
        &mut self,
        district: &mut District,
        staff: &Staff,
        devices: usize,
        years: &[(u8, u16)],
    ) {
        let per_year = devices.div_ceil(years.len().max(1) * CLASS_SIZE);
        let total = years.len() * per_year;
        for (i, (year, group, letter)) in years
            .iter()
            .flat_map(|&(year, group)| (0..per_year).map(move |letter| (year, group, letter)))
            .enumerate()
        {
            let name = format!("{year}{}", names::class_letters(letter));
            let size = share(devices, total, i);
            let class = self.one_to_one_class(district, staff, name, group, size);
            district.organisations[staff.org].classes.push(class);
        }
    }

    fn case_class(
        &mut self,
        district: &mut District,
        staff: &Staff,
        name: String,
        case: Option<u16>,
    ) -> SchoolClass {
        let size = self.rng.random_range(20..=28);
        let students = (0..size).map(|_| self.student(district).0).collect();
        let groups = &district.organisations[staff.org].groups;
        let case_group_uuid = case.map(|g| groups[usize::from(g)].uuid.clone());
        self.class(district, staff, name, students, case_group_uuid)
    }

    fn one_to_one_class(
        &mut self,
        district: &mut District,
        staff: &Staff,
        name: String,
        group: u16,
        size: usize,
    ) -> SchoolClass {
        let mut students = Vec::with_capacity(size);
        for _ in 0..size {
            let (mut member, person, last) = self.student(district);
            let code = &district.organisations[staff.org].code;
            let placement = Placement {
                org: staff.org,
                name: format!("{code}-S-{}", names::ascii_fold(last)),
                user: Some(person),
                groups: vec![group],
                role: DeviceRole::Student,
                shared_ipad: false,
            };
            member.device_uuid = Some(self.enrol(district, placement).to_string());
            students.push(member);
        }
        self.class(district, staff, name, students, None)
    }

    /// A class with the next two teachers in turn: the class teacher and a deputy.
    fn class(
        &mut self,
        district: &District,
        staff: &Staff,
        name: String,
        students: Vec<ClassMember>,
        case_group_uuid: Option<String>,
    ) -> SchoolClass {
        let organisation = &district.organisations[staff.org];
        let number = organisation.classes.len();
        SchoolClass {
            uuid: Uuid::random(&mut self.rng).to_string(),
            organization_uuid: organisation.uuid().to_owned(),
            name,
            teachers: class_teachers(district, staff.teachers, number),
            students,
            case_group_uuid,
            apps: Vec::new(),
        }
    }

    fn student(&mut self, district: &mut District) -> (ClassMember, PersonIdx, &'static str) {
        let (first, last) = self.person_name();
        let login = self.logins.claim(names::student_login(first, last));
        let display_name = format!("{first} {last}");
        let member = ClassMember {
            login: login.clone(),
            display_name: display_name.clone(),
            device_uuid: None,
        };
        let person = district.add_person(Person {
            login,
            display_name,
        });
        (member, person, last)
    }

    /// Enrols a seeded device with a past: enrolled months ago, last seen mostly hours ago.
    fn enrol(&mut self, district: &mut District, placement: Placement) -> Uuid {
        let enrolled = self.enrolment_date();
        let last_connection = self.last_connection(enrolled);
        let organisation = &district.organisations[placement.org];
        let device = enrolment::enrol(
            &mut self.rng,
            &district.inventory,
            placement,
            organisation,
            enrolled,
            last_connection,
        );
        let uuid = device.uuid;
        district.inventory.enrol(device);
        uuid
    }

    /// A school morning between three weeks and two and a half years ago.
    fn enrolment_date(&mut self) -> DateTime<Utc> {
        let day = (self.start - Duration::days(self.rng.random_range(21..=900))).date_naive();
        let minute = self.rng.random_range(0..4) * 15;
        let time = NaiveTime::from_hms_opt(self.rng.random_range(6..=13), minute, 0).expect("time");
        day.and_time(time).and_utc()
    }

    /// Most devices checked in within hours; some days or weeks ago; a few are long gone.
    fn last_connection(&mut self, enrolled: DateTime<Utc>) -> DateTime<Utc> {
        const HOUR: i64 = 3600;
        const DAY: i64 = 24 * HOUR;
        let silence = match enrolment::weighted(&mut self.rng, &[80, 12, 6, 2]) {
            0 => self.rng.random_range(60..6 * HOUR),
            1 => self.rng.random_range(6 * HOUR..3 * DAY),
            2 => self.rng.random_range(3 * DAY..21 * DAY),
            _ => self.rng.random_range(30 * DAY..120 * DAY),
        };
        (self.start - Duration::seconds(silence)).max(enrolled + Duration::hours(1))
    }

    fn school_policies(
        &mut self,
        district: &mut District,
        org: OrgIdx,
        groups: &SchoolGroups,
        templates: &Templates,
    ) {
        let group_uuid = |g: u16| {
            district.organisations[org].groups[usize::from(g)]
                .uuid
                .clone()
        };
        let students: Vec<String> = groups
            .students
            .iter()
            .map(|&(_, g)| group_uuid(g))
            .collect();
        let cases: Vec<String> = groups.cases.iter().map(|&g| group_uuid(g)).collect();
        let teachers = group_uuid(groups.teachers);
        let pool = district.organisations[org].app_pool.clone();

        let mut student_policy =
            self.policy(district, org, "Schüler-iPads", forbid_personal_apps());
        student_policy.template_uuid = Some(templates.students.clone());
        student_policy.group_uuids = students.iter().chain(&cases).cloned().collect();

        let mut teacher_policy = self.policy(
            district,
            org,
            "Lehrkräfte-iPads",
            forbid(&["com.zhiliaoapp.musically"]),
        );
        teacher_policy.group_uuids = vec![teachers];

        let mut policies = vec![student_policy, teacher_policy];
        if self.rng.random_bool(0.6) {
            let mut lessons = self.policy(
                district,
                org,
                "Unterricht mit Zeitfenster",
                allow_only(&pool),
            );
            lessons.template_uuid = Some(templates.lessons.clone());
            lessons.group_uuids = cases;
            lessons.time_windows = lesson_hours();
            policies.push(lessons);
        }
        if self.rng.random_bool(0.4) {
            let mut exams = self.policy(district, org, "Prüfungsmodus", allow_only(&exam_apps()));
            exams.template_uuid = Some(templates.exams.clone());
            exams.group_uuids = students.into_iter().take(1).collect();
            exams.time_windows = exam_hours();
            exams.published = false;
            exams.version = 1;
            policies.push(exams);
        }
        district.organisations[org].policies = policies;
    }

    /// The school's VPP licences: as many assigned as devices have the app, a few spare.
    fn licences(&mut self, district: &mut District, org: OrgIdx) {
        let mut assigned = vec![0u32; catalogue::APPS.len()];
        for device in district.inventory.of_org(org) {
            for install in &device.apps {
                assigned[usize::from(install.app)] += 1;
            }
        }
        let mut apps = district.organisations[org].app_pool.clone();
        apps.extend(catalogue::apps_of_kind(AppKind::Teacher));
        apps.sort_unstable();
        let organization_uuid = district.organisations[org].uuid().to_owned();
        let catalogue = apps
            .into_iter()
            .map(|app| {
                let entry = catalogue::app_entry(app);
                let taken = assigned[usize::from(app)];
                let spare = if self.rng.random_bool(0.1) {
                    0
                } else {
                    self.rng.random_range(0..=5 + taken / 8)
                };
                CatalogApp {
                    uuid: Uuid::random(&mut self.rng).to_string(),
                    organization_uuid: organization_uuid.clone(),
                    bundle_id: entry.bundle_id.to_owned(),
                    name: entry.name.to_owned(),
                    version: entry.newest().to_owned(),
                    vpp_licenses_total: taken + spare,
                    vpp_licenses_assigned: taken,
                }
            })
            .collect();
        district.organisations[org].catalogue = catalogue;
    }

    /// The school's admin and two or three of its teachers get access tokens.
    fn school_accounts(
        &mut self,
        district: &mut District,
        plan: &SchoolPlan,
        teachers: &[(PersonIdx, &str)],
    ) {
        let code = district.organisations[plan.org].code.to_lowercase();
        let login = self.logins.claim(format!("admin.{code}"));
        let (first, last) = self.person_name();
        let admin = self.account(
            login,
            format!("{first} {last}"),
            Role::SchoolAdmin,
            plan.org,
            vec![plan.org],
        );
        district.add_account(admin);
        let with_tokens = if plan.devices >= 200 { 3 } else { 2 };
        for &(person, _) in teachers.iter().take(with_tokens) {
            let Person {
                login,
                display_name,
            } = district.person(person).clone();
            let teacher =
                self.account(login, display_name, Role::Teacher, plan.org, vec![plan.org]);
            district.add_account(teacher);
        }
    }
}

fn case_placement(district: &District, org: OrgIdx, case: &CaseSet, slot: usize) -> Placement {
    let code = &district.organisations[org].code;
    Placement {
        org,
        name: format!("{code}-Koffer-{}-{slot:02}", case.number),
        user: None,
        groups: vec![case.group],
        role: DeviceRole::Case,
        shared_ipad: case.shared_ipad,
    }
}

/// The class teacher and a deputy, taken in turn from the school's teachers.
fn class_teachers(
    district: &District,
    teachers: &[(PersonIdx, &'static str)],
    number: usize,
) -> Vec<ClassMember> {
    let picks = [
        2 * number % teachers.len(),
        (2 * number + 1) % teachers.len(),
    ];
    let mut members: Vec<ClassMember> = picks
        .iter()
        .map(|&i| {
            let person = district.person(teachers[i].0);
            ClassMember {
                login: person.login.clone(),
                display_name: person.display_name.clone(),
                device_uuid: None,
            }
        })
        .collect();
    members.dedup();
    members
}

/// The `index`-th of `parts` near-equal shares of `total`.
fn share(total: usize, parts: usize, index: usize) -> usize {
    total / parts + usize::from(index < total % parts)
}

/// Names handed out once each: logins, school codes.
#[derive(Default)]
struct UniqueNames {
    taken: HashSet<String>,
    /// The next suffix to try per base, so that the thousandth "lena.schmidt" costs no more
    /// than the second.
    next_suffix: HashMap<String, usize>,
}

impl UniqueNames {
    /// `base`, or `base2`, `base3`, ... when taken.
    fn claim(&mut self, base: String) -> String {
        if self.taken.insert(base.clone()) {
            return base;
        }
        let next = self.next_suffix.entry(base.clone()).or_insert(2);
        loop {
            let candidate = format!("{base}{next}");
            *next += 1;
            if self.taken.insert(candidate.clone()) {
                return candidate;
            }
        }
    }
}

fn forbid_personal_apps() -> PolicyConfiguration {
    let personal: Vec<&str> = catalogue::apps_of_kind(AppKind::Personal)
        .into_iter()
        .map(|app| catalogue::app_entry(app).bundle_id)
        .collect();
    forbid(&personal)
}

fn forbid(bundle_ids: &[&str]) -> PolicyConfiguration {
    AppCompliance {
        list_mode: ListMode::Blacklist,
        apps: bundle_ids.iter().map(|&id| id.to_owned()).collect(),
        required_apps: vec![REQUIRED_APP.to_owned()],
    }
    .configuration("App-Regeln")
}

fn allow_only(apps: &[AppIdx]) -> PolicyConfiguration {
    AppCompliance {
        list_mode: ListMode::Whitelist,
        apps: apps
            .iter()
            .map(|&app| catalogue::app_entry(app).bundle_id.to_owned())
            .collect(),
        required_apps: vec![REQUIRED_APP.to_owned()],
    }
    .configuration("Erlaubte Apps")
}

fn exam_apps() -> Vec<AppIdx> {
    [
        "com.apple.Keynote",
        "com.apple.Numbers",
        "com.apple.Pages",
        "org.geogebra.calculator",
    ]
    .iter()
    .filter_map(|id| catalogue::app_by_bundle(id))
    .collect()
}

/// Monday to Friday, first to sixth lesson.
fn lesson_hours() -> Vec<TimeWindow> {
    (1..=5)
        .map(|weekday| window(weekday, "07:45", "13:15"))
        .collect()
}

/// Wednesday's first two lessons.
fn exam_hours() -> Vec<TimeWindow> {
    vec![window(3, "08:00", "09:30")]
}

fn window(weekday: u8, start: &str, end: &str) -> TimeWindow {
    TimeWindow {
        weekday,
        start: start.to_owned(),
        end: end.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::FieldSet;
    use crate::render::DeviceJson;

    fn start() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-03T08:00:00Z")
            .unwrap()
            .to_utc()
    }

    /// Everything a client could see, as text.
    fn snapshot(district: &District) -> String {
        let devices: Vec<DeviceJson> = district
            .inventory
            .all()
            .map(|device| DeviceJson {
                device,
                district,
                fields: FieldSet::EVERY,
            })
            .collect();
        let orgs: Vec<_> = district
            .organisations
            .iter()
            .map(|o| (&o.wire, &o.groups, &o.classes, &o.policies, &o.catalogue))
            .collect();
        let tokens: Vec<&str> = district.accounts.iter().map(|a| a.token.as_str()).collect();
        serde_json::to_string(&(devices, orgs, tokens)).unwrap()
    }

    #[test]
    fn the_same_seed_gives_the_same_district() {
        let plan = Plan {
            seed: 11,
            schools: 4,
            devices: 700,
        };

        let first = snapshot(&seed(&plan, start()));
        let second = snapshot(&seed(&plan, start()));

        assert_eq!(
            first, second,
            "tests and benchmarks rely on reproducible data"
        );
    }

    #[test]
    fn another_seed_gives_another_district() {
        let first = snapshot(&seed(
            &Plan {
                seed: 1,
                schools: 3,
                devices: 300,
            },
            start(),
        ));

        let second = snapshot(&seed(
            &Plan {
                seed: 2,
                schools: 3,
                devices: 300,
            },
            start(),
        ));

        assert_ne!(first, second, "the seed must matter");
    }

    #[test]
    fn devices_add_up_to_exactly_the_requested_total_unevenly() {
        let plan = Plan {
            seed: 3,
            schools: 7,
            devices: 1234,
        };

        let district = seed(&plan, start());

        let per_school: Vec<usize> = district
            .schools()
            .iter()
            .map(|&s| district.inventory.count_in(s))
            .collect();
        assert_eq!(
            per_school.iter().sum::<usize>(),
            1234,
            "--devices is the total"
        );
        assert!(
            per_school.iter().max() > per_school.iter().min(),
            "schools differ in size"
        );
        assert_eq!(
            district.inventory.count_in(0),
            0,
            "the district has no devices of its own"
        );
    }

    #[test]
    fn school_names_stay_unique_for_many_schools() {
        let plan = Plan {
            seed: 5,
            schools: 700,
            devices: 0,
        };

        let district = seed(&plan, start());

        let names: HashSet<&str> = district
            .organisations
            .iter()
            .map(|o| o.wire.name.as_str())
            .collect();
        let codes: HashSet<&str> = district
            .organisations
            .iter()
            .map(|o| o.code.as_str())
            .collect();
        assert_eq!(
            names.len(),
            702,
            "700 schools, the district and the template, all distinct"
        );
        assert_eq!(
            codes.len(),
            701,
            "school codes are distinct (district and template: none)"
        );
    }

    #[test]
    fn seeded_times_lie_before_the_clock_start() {
        let district = seed(
            &Plan {
                seed: 8,
                schools: 3,
                devices: 500,
            },
            start(),
        );

        let all_before = district
            .inventory
            .all()
            .all(|d| d.modified < start() && d.enrolled < d.modified);

        assert!(
            all_before,
            "changes after the start must be churn's, for dateRange to find them"
        );
    }

    #[test]
    fn every_school_has_an_admin_and_at_least_two_teachers_with_tokens() {
        let district = seed(
            &Plan {
                seed: 9,
                schools: 3,
                devices: 300,
            },
            start(),
        );

        for school in district.schools() {
            let roles: Vec<Role> = district
                .accounts
                .iter()
                .filter(|a| a.home == school)
                .map(|a| a.role)
                .collect();
            assert_eq!(
                roles.iter().filter(|&&r| r == Role::SchoolAdmin).count(),
                1,
                "one admin"
            );
            assert!(
                roles.iter().filter(|&&r| r == Role::Teacher).count() >= 2,
                "two teachers"
            );
        }
    }

    #[test]
    fn students_with_their_own_ipad_reference_it() {
        let district = seed(
            &Plan {
                seed: 10,
                schools: 3,
                devices: 600,
            },
            start(),
        );

        let references: Vec<&str> = district
            .organisations
            .iter()
            .flat_map(|o| &o.classes)
            .flat_map(|c| &c.students)
            .filter_map(|s| s.device_uuid.as_deref())
            .collect();

        assert!(!references.is_empty(), "older years have 1:1 iPads");
        for uuid in references {
            let device = district.inventory.get(Uuid::parse(uuid).unwrap());
            assert!(
                device.is_some_and(|d| d.user.is_some()),
                "a 1:1 iPad exists and has a user"
            );
        }
    }
}
