//! The teacher console below the window, against the emulator over real HTTP with a real
//! SQLite cache: a teacher's lesson on a class from start to end (lock, app lock, web page,
//! allowed apps, absent students, +10 minutes, ending early), the server ending it at its end
//! time with no client around, a device that comes online mid-lesson, teacher rights, bad
//! inputs, and a start queued while the server is away and sent exactly once when it is back.

use std::sync::Arc;
use std::time::{Duration, Instant};

use koffer_api::{LessonState as ServerState, Role, SimLesson};
use koffer_core::client::Client;
use koffer_core::lessons::{self, Ack, ClassView, LessonCommand, LessonError, LessonState, Who};
use koffer_core::secrets::AccessToken;
use koffer_core::server_url::ServerUrl;
use koffer_core::store::Store;
use koffer_core::sync::{self, SyncOptions};
use koffer_tests::{http_request, Emulator, SeededUser};

struct Console {
    emulator: Emulator,
    client: Arc<Client>,
    store: Store,
    who: Who,
    dir: tempfile::TempDir,
}

fn client_of(emulator: &Emulator, user: &SeededUser) -> Arc<Client> {
    let token = AccessToken::new(&user.token).unwrap();
    Arc::new(Client::new(ServerUrl::parse(&emulator.url).unwrap(), token).unwrap())
}

/// A teacher signed in and synced, on a district with devices that check in as pushed.
async fn teacher_console(args: &[&str]) -> Console {
    let emulator = Emulator::start(args);
    let teacher = emulator.user("TEACHER").clone();
    let client = client_of(&emulator, &teacher);
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open_in(dir.path()).unwrap();
    sync::sync(client.clone(), &mut store, &SyncOptions::default(), &|_| {})
        .await
        .unwrap();
    let who = Who {
        login: teacher.login.clone(),
        role: Role::Teacher,
    };
    Console {
        emulator,
        client,
        store,
        who,
        dir,
    }
}

fn now_ms() -> i64 {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    since_epoch.as_millis() as i64
}

impl Console {
    /// The teacher's class with the most devices.
    fn biggest_class(&self) -> ClassView {
        let classes = lessons::classes(self.store.conn(), &self.who, now_ms()).unwrap();
        let class = classes
            .iter()
            .max_by_key(|c| c.devices)
            .expect("the teacher teaches a class");
        self.view(&class.uuid)
    }

    fn view(&self, class: &str) -> ClassView {
        lessons::class_view(self.store.conn(), &self.who, class, now_ms()).unwrap()
    }

    /// Every device of the class online and not busy, so pushes reach them.
    fn all_online(&self, view: &ClassView) {
        for tile in &view.tiles {
            self.emulator.set_device(&tile.device_uuid, true, false);
        }
    }

    fn start(&mut self, class: &str, minutes: u32) {
        lessons::start(&mut self.store, &self.who, class, minutes, None, now_ms()).unwrap();
    }

    fn command(&mut self, class: &str, command: LessonCommand) -> Vec<lessons::Skipped> {
        let (skipped, _) =
            lessons::command(&mut self.store, &self.who, class, &command, None, now_ms()).unwrap();
        skipped
    }

    async fn flush(&mut self) -> lessons::LessonFlush {
        lessons::flush(&self.client, &mut self.store).await.unwrap()
    }

    /// Follows the lesson until `done` holds for the class view, for at most 20 s.
    async fn follow_until(&mut self, class: &str, done: impl Fn(&ClassView) -> bool) -> ClassView {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            lessons::follow(&self.client, &mut self.store)
                .await
                .unwrap();
            let view = self.view(class);
            if done(&view) || Instant::now() > deadline {
                return view;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    fn server_lessons(&self) -> Vec<SimLesson> {
        let answer = http_request(&self.emulator.url, "GET", "/sim/lessons", None);
        serde_json::from_str(&answer).expect("/sim/lessons answers lessons")
    }
}

fn all_acknowledged(view: &ClassView) -> bool {
    view.tiles
        .iter()
        .filter(|t| t.ack != Ack::None)
        .all(|t| t.ack == Ack::Acknowledged)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_teacher_locks_the_class_and_every_ipad_acknowledges_the_lock() {
    let mut console =
        teacher_console(&["--seed", "51", "--schools", "1", "--devices", "160"]).await;
    let class = console.biggest_class();
    console.all_online(&class);
    let uuid = class.class.uuid.clone();

    console.start(&uuid, 45);
    let started = console.flush().await;
    let skipped = console.command(
        &uuid,
        LessonCommand::LockScreen {
            message: "Augen nach vorn".into(),
        },
    );
    let sent = console.flush().await;
    let view = console.follow_until(&uuid, all_acknowledged).await;

    assert_eq!(
        (started.accepted, sent.accepted),
        (1, 1),
        "start and lock accepted"
    );
    assert!(skipped.is_empty(), "nobody is absent: {skipped:?}");
    let lesson = view.lesson.as_ref().expect("the lesson is shown");
    assert_eq!(lesson.state, LessonState::Running);
    assert!(
        lesson.ends_at - lesson.started_at == 45 * 60_000,
        "the server's 45 minutes"
    );
    assert!(
        view.tiles.iter().all(|t| t.locked),
        "every tile shows the lock"
    );
    assert!(
        all_acknowledged(&view),
        "every iPad acknowledged: {:?}",
        view.tiles
    );
    assert_eq!(lesson.acknowledged, lesson.total);
    assert!(
        view.tiles
            .iter()
            .filter_map(|t| t.battery)
            .all(|percent| (0.0..=100.0).contains(&percent) && percent.fract() == 0.0),
        "a tile's battery is a whole percentage, not the server's share from 0 to 1: {:?}",
        view.tiles.iter().map(|t| t.battery).collect::<Vec<_>>()
    );
    assert!(
        view.tiles
            .iter()
            .filter_map(|t| t.battery)
            .any(|percent| percent > 1.0),
        "some iPad is charged above 1 %"
    );
    let server = console.server_lessons();
    assert_eq!(server.len(), 1, "one lesson on the server");
    assert!(
        server[0].devices.iter().all(|d| d
            .applied
            .screen_lock
            .as_ref()
            .map(|l| l.message.as_str())
            == Some("Augen nach vorn")),
        "every device shows the teacher's message"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn app_lock_skips_unsupervised_ipads_and_says_so_while_pages_and_allowed_apps_reach_all() {
    let mut console =
        teacher_console(&["--seed", "52", "--schools", "1", "--devices", "200"]).await;
    let class = console.biggest_class();
    console.all_online(&class);
    let uuid = class.class.uuid.clone();
    let app = class
        .apps
        .first()
        .expect("the class has apps")
        .bundle_id
        .clone();
    let unsupervised: Vec<&str> = class
        .tiles
        .iter()
        .filter(|t| !t.supervised)
        .map(|t| t.device_uuid.as_str())
        .collect();
    console.start(&uuid, 45);

    let skipped = console.command(
        &uuid,
        LessonCommand::AppLock {
            bundle_id: app.clone(),
        },
    );
    console.command(
        &uuid,
        LessonCommand::OpenWebPage {
            url: "https://www.planet-schule.de/".into(),
        },
    );
    console.command(
        &uuid,
        LessonCommand::AllowApps {
            bundle_ids: vec![app.clone()],
        },
    );
    let sent = console.flush().await;
    let view = console.follow_until(&uuid, all_acknowledged).await;

    assert!(
        !unsupervised.is_empty(),
        "the seed gives this class an unsupervised iPad"
    );
    assert_eq!(sent.accepted, 4, "start and three commands");
    let skipped_ids: Vec<&str> = skipped.iter().map(|s| s.device_uuid.as_str()).collect();
    assert_eq!(
        skipped_ids, unsupervised,
        "exactly the unsupervised iPads are left out"
    );
    assert!(
        skipped.iter().all(|s| s.reason.contains("not supervised")),
        "and the teacher is told why: {skipped:?}"
    );
    for tile in &view.tiles {
        let expected = tile.supervised.then(|| app.clone());
        assert_eq!(tile.app_lock, expected, "app lock only where supervised");
        assert_eq!(
            tile.web_page.as_deref(),
            Some("https://www.planet-schule.de/")
        );
        assert_eq!(
            tile.allowed_apps.as_deref(),
            Some(std::slice::from_ref(&app))
        );
    }
    assert!(all_acknowledged(&view), "{:?}", view.tiles);
}

#[tokio::test(flavor = "multi_thread")]
async fn absent_students_are_left_out_and_ending_early_lifts_everything_at_once() {
    let mut console =
        teacher_console(&["--seed", "53", "--schools", "1", "--devices", "160"]).await;
    let class = console.biggest_class();
    console.all_online(&class);
    let uuid = class.class.uuid.clone();
    let absent = class.tiles[0].clone();
    let now = now_ms();
    lessons::set_absent(
        &mut console.store,
        &console.who,
        &uuid,
        absent.student_login.as_deref(),
        Some(&absent.device_uuid),
        true,
        now,
    )
    .unwrap();

    console.start(&uuid, 45);
    console.command(
        &uuid,
        LessonCommand::LockScreen {
            message: "Stifte weg".into(),
        },
    );
    lessons::extend(&mut console.store, &console.who, &uuid, now_ms()).unwrap();
    console.flush().await;
    let during = console.follow_until(&uuid, all_acknowledged).await;
    lessons::end(&mut console.store, &console.who, &uuid, now_ms()).unwrap();
    console.flush().await;
    let after = console.view(&uuid);

    let lesson = during.lesson.as_ref().unwrap();
    assert_eq!(
        lesson.ends_at - lesson.started_at,
        55 * 60_000,
        "45 minutes and 10 more"
    );
    let absent_tile = during
        .tiles
        .iter()
        .find(|t| t.device_uuid == absent.device_uuid)
        .unwrap();
    assert!(
        absent_tile.absent && !absent_tile.locked,
        "the absent student's iPad is left out"
    );
    assert_eq!(absent_tile.ack, Ack::None);
    assert_eq!(lesson.total as usize, during.tiles.len() - 1);
    let ended = after.lesson.as_ref().unwrap();
    assert_eq!(
        ended.state,
        LessonState::Ended,
        "ending early ends it at once"
    );
    assert_eq!(ended.end_reason.as_deref(), Some("ENDED_BY_TEACHER"));
    assert!(
        after.tiles.iter().all(|t| !t.locked),
        "every restriction is lifted"
    );
    let server = console.server_lessons();
    assert_eq!(server[0].state, ServerState::Ended);
    assert!(
        !server[0]
            .devices
            .iter()
            .any(|d| d.device_uuid == absent.device_uuid),
        "the server never had the absent student's iPad in the lesson"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_server_ends_the_lesson_at_its_end_time_with_the_client_gone() {
    let mut console =
        teacher_console(&["--seed", "54", "--schools", "1", "--devices", "160"]).await;
    let class = console.biggest_class();
    console.all_online(&class);
    let uuid = class.class.uuid.clone();
    console.start(&uuid, 45);
    console.command(
        &uuid,
        LessonCommand::LockScreen {
            message: "Test".into(),
        },
    );
    console.flush().await;

    // The laptop is closed: nobody follows or ends the lesson; the sim clock moves on.
    console.emulator.advance_minutes(50);
    let on_server = console.server_lessons();
    let view = console
        .follow_until(&uuid, |v| {
            v.lesson.as_ref().is_some_and(|l| l.end_reason.is_some())
        })
        .await;

    assert_eq!(
        on_server[0].state,
        ServerState::Ended,
        "the server ended it by itself"
    );
    assert!(
        on_server[0].devices.iter().all(|d| d.applied.is_none()),
        "and every online iPad is free again"
    );
    let lesson = view.lesson.unwrap();
    assert_eq!(lesson.state, LessonState::Ended);
    assert_eq!(lesson.end_reason.as_deref(), Some("END_TIME"));
    assert!(view.tiles.iter().all(|t| !t.locked));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_device_coming_online_mid_lesson_gets_the_current_state_not_a_replay() {
    let mut console =
        teacher_console(&["--seed", "55", "--schools", "1", "--devices", "160"]).await;
    let class = console.biggest_class();
    console.all_online(&class);
    let uuid = class.class.uuid.clone();
    let late = class.tiles[0].device_uuid.clone();
    console.emulator.set_device(&late, false, false);
    console.start(&uuid, 45);
    console.command(
        &uuid,
        LessonCommand::LockScreen {
            message: "A".into(),
        },
    );
    console.command(&uuid, LessonCommand::UnlockScreen);
    console.command(
        &uuid,
        LessonCommand::OpenWebPage {
            url: "https://example.org/aufgabe".into(),
        },
    );
    console.flush().await;
    let others_done = |v: &ClassView| {
        v.tiles
            .iter()
            .filter(|t| t.device_uuid != late)
            .all(|t| t.ack == Ack::Acknowledged)
    };
    console.follow_until(&uuid, others_done).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let while_offline = console.view(&uuid);

    console.emulator.set_device(&late, true, false);
    console.emulator.check_in(&late);
    let view = console
        .follow_until(&uuid, |v| {
            v.tiles
                .iter()
                .any(|t| t.device_uuid == late && t.ack == Ack::Acknowledged)
        })
        .await;

    let tile = |v: &ClassView| {
        v.tiles
            .iter()
            .find(|t| t.device_uuid == late)
            .cloned()
            .unwrap()
    };
    assert!(
        matches!(tile(&while_offline).ack, Ack::Offline | Ack::Pending),
        "not acknowledged while offline: {:?}",
        tile(&while_offline).ack
    );
    assert_eq!(
        tile(&view).ack,
        Ack::Acknowledged,
        "acknowledged once it is back"
    );
    let server = console.server_lessons();
    let applied = &server[0]
        .devices
        .iter()
        .find(|d| d.device_uuid == late)
        .unwrap()
        .applied;
    assert_eq!(
        applied.screen_lock, None,
        "the lock it missed was lifted meanwhile"
    );
    assert_eq!(
        applied.web_page.as_ref().map(|w| w.url.as_str()),
        Some("https://example.org/aufgabe"),
        "it shows the current page"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn teachers_see_only_their_classes_and_another_teachers_class_is_refused() {
    let emulator = Emulator::start(&["--seed", "56", "--schools", "1", "--devices", "400"]);
    let admin = client_of(&emulator, emulator.user("SCHOOL_ADMIN"));
    let teacher = emulator.user("TEACHER").clone();
    let dir = tempfile::tempdir().unwrap();
    let mut everything = Store::open(&dir.path().join("admin.sqlite3")).unwrap();
    sync::sync(admin, &mut everything, &SyncOptions::default(), &|_| {})
        .await
        .unwrap();
    let mut own = Store::open(&dir.path().join("teacher.sqlite3")).unwrap();
    let teacher_client = client_of(&emulator, &teacher);
    sync::sync(
        teacher_client.clone(),
        &mut own,
        &SyncOptions::default(),
        &|_| {},
    )
    .await
    .unwrap();
    let who = Who {
        login: teacher.login.clone(),
        role: Role::Teacher,
    };
    let coordinator = Who {
        login: "admin".into(),
        role: Role::SchoolAdmin,
    };

    let seen = lessons::classes(own.conn(), &who, now_ms()).unwrap();
    let all = lessons::classes(everything.conn(), &coordinator, now_ms()).unwrap();
    let filtered = lessons::classes(everything.conn(), &who, now_ms()).unwrap();
    let other = all
        .iter()
        .find(|c| !filtered.iter().any(|f| f.uuid == c.uuid))
        .expect("the school has a class this teacher does not teach");
    let refused = lessons::start(&mut everything, &who, &other.uuid, 45, None, now_ms());
    let view = lessons::class_view(everything.conn(), &who, &other.uuid, now_ms()).unwrap();
    let body = koffer_api::StartLesson {
        class_uuid: other.uuid.clone(),
        device_uuids: vec![],
        duration_minutes: 45,
    };
    let server = teacher_client
        .start_lesson(&other.org_uuid, "teacher-tries", &body)
        .await;

    assert!(
        !seen.is_empty() && seen.len() < all.len(),
        "a teacher sees some classes, not all"
    );
    let mut seen_ids: Vec<&str> = seen.iter().map(|c| c.uuid.as_str()).collect();
    let mut filtered_ids: Vec<&str> = filtered.iter().map(|c| c.uuid.as_str()).collect();
    seen_ids.sort();
    filtered_ids.sort();
    assert_eq!(
        seen_ids, filtered_ids,
        "the server and Koffer agree on the teacher's classes"
    );
    match refused {
        Err(LessonError::Refused(r)) => {
            assert_eq!(r.field, "class");
            assert!(
                r.message.contains(&other.name),
                "names the class: {}",
                r.message
            );
        }
        other => panic!("another teacher's class must be refused: {other:?}"),
    }
    assert!(
        !view.can_teach && view.why_not.is_some(),
        "the view says why not"
    );
    assert!(
        matches!(server, Err(koffer_core::Error::NoRights { .. })),
        "the server refuses it too: {server:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_inputs_are_refused_with_their_field_and_nothing_is_queued() {
    let mut console =
        teacher_console(&["--seed", "57", "--schools", "1", "--devices", "120"]).await;
    let uuid = console.biggest_class().class.uuid;
    let field = |result: Result<(), LessonError>| match result {
        Err(LessonError::Refused(r)) => r.field,
        other => panic!("must be refused: {other:?}"),
    };
    let start = |c: &mut Console, minutes| {
        lessons::start(&mut c.store, &c.who, &uuid, minutes, None, now_ms()).map(|_| ())
    };

    let zero = field(start(&mut console, 0));
    let too_long = field(start(&mut console, 601));
    console.start(&uuid, 45);
    let command = |c: &mut Console, command: LessonCommand| {
        lessons::command(&mut c.store, &c.who, &uuid, &command, None, now_ms()).map(|_| ())
    };
    let url = field(command(
        &mut console,
        LessonCommand::OpenWebPage {
            url: "javascript:alert(1)".into(),
        },
    ));
    let app = field(command(
        &mut console,
        LessonCommand::AppLock {
            bundle_id: "com.example.not-in-class".into(),
        },
    ));
    let waiting = koffer_core::store::lessons::outbox(console.store.conn()).unwrap();

    assert_eq!(
        (zero, too_long),
        ("duration", "duration"),
        "0 and 601 minutes"
    );
    assert_eq!(url, "url", "only http and https");
    assert_eq!(app, "app", "only the class's apps");
    assert_eq!(waiting.len(), 1, "only the good start was queued");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_start_while_the_server_is_away_is_queued_and_sent_exactly_once_when_it_is_back() {
    let args = ["--seed", "58", "--schools", "1", "--devices", "160"];
    let mut console = teacher_console(&args).await;
    let class = console.biggest_class();
    let uuid = class.class.uuid.clone();
    let address = console
        .emulator
        .url
        .trim_start_matches("http://")
        .to_owned();
    let placeholder = Emulator::start(&["--devices", "1"]);
    std::mem::replace(&mut console.emulator, placeholder).stop();

    console.start(&uuid, 45);
    console.command(
        &uuid,
        LessonCommand::LockScreen {
            message: "Pause".into(),
        },
    );
    let offline = console.flush().await;
    let queued = console.view(&uuid);
    // The app is closed and opened again: the outbox is in the file.
    let reopened = Store::open_in(console.dir.path()).unwrap();
    console.store = reopened;
    console.emulator = Emulator::start_at(&address, &args);
    let online = console.flush().await;
    let again = console.flush().await;

    assert_eq!(offline.waiting, 2, "start and lock wait in the outbox");
    assert!(offline.problem.is_some(), "and the teacher is told why");
    let lesson = queued.lesson.as_ref().unwrap();
    assert_eq!(lesson.state, LessonState::Queued);
    assert!(
        lesson
            .notice
            .as_deref()
            .unwrap_or_default()
            .contains("ends there at its end time"),
        "the teacher learns the lesson ends on the server regardless: {:?}",
        lesson.notice
    );
    assert!(
        queued.tiles.iter().all(|t| t.ack == Ack::Queued),
        "tiles show queued"
    );
    assert_eq!(online.accepted, 2, "both are sent when the server is back");
    assert_eq!(again.accepted, 0, "and never again");
    let server = console.server_lessons();
    assert_eq!(server.len(), 1, "the server holds exactly one lesson");
    assert_eq!(
        console.view(&uuid).lesson.unwrap().state,
        LessonState::Running
    );
}

#[derive(Default)]
struct LessonEvents(std::sync::Mutex<Vec<String>>);

impl koffer_app::EventSink for LessonEvents {
    fn sync_progress(&self, _: &koffer_app::commands::SyncEvent) {}

    fn ledger_changed(&self, _: &[koffer_app::commands::LedgerEntry]) {}

    fn lesson_changed(&self, class_uuid: &str) {
        self.0.lock().unwrap().push(class_uuid.to_owned());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_desktop_commands_name_the_bad_field_and_queue_a_start_while_offline() {
    use koffer_app::commands::{ClassRef, Empty, LessonCommandRequest, StartLesson, SyncRequest};
    let args = ["--seed", "59", "--schools", "1", "--devices", "160"];
    let emulator = Emulator::start(&args);
    let root = tempfile::tempdir().unwrap();
    let demo = koffer_app::Demo {
        server: emulator.url.clone(),
        token: emulator.user("DISTRICT_ADMIN").token.clone(),
        role: "DISTRICT_ADMIN".into(),
    };
    let events = Arc::new(LessonEvents::default());
    let app = koffer_app::App::open(root.path(), Some(demo), events.clone());
    app.start_sync(SyncRequest::default()).await.unwrap();
    let class = app.classes(Empty {}).unwrap()[0].uuid.clone();
    let start = |minutes| StartLesson {
        class_uuid: class.clone(),
        duration_minutes: minutes,
        device_uuids: None,
    };
    let lock = LessonCommandRequest {
        class_uuid: class.clone(),
        command: LessonCommand::OpenWebPage {
            url: "ftp://example.org".into(),
        },
        device_uuids: None,
    };

    let too_long = app.start_lesson(start(601)).await.unwrap_err();
    let address = emulator.url.trim_start_matches("http://").to_owned();
    emulator.stop();
    let offline = app.start_lesson(start(45)).await.unwrap();
    let bad_url = app.lesson_command(lock).await.unwrap_err();
    let back = Emulator::start_at(&address, &args);
    let changed = app.follow_lessons_now().await.unwrap();
    let running = app
        .class_view(ClassRef {
            uuid: class.clone(),
        })
        .unwrap();
    let ended = app
        .end_lesson(ClassRef {
            uuid: class.clone(),
        })
        .await
        .unwrap();

    assert_eq!(too_long.field.as_deref(), Some("duration"), "{too_long:?}");
    let queued = offline.lesson.unwrap();
    assert_eq!(
        queued.state,
        LessonState::Queued,
        "the start waits in the outbox"
    );
    let notice = queued.notice.unwrap_or_default();
    assert!(notice.contains("ends there at its end time"), "{notice}");
    assert_eq!(bad_url.field.as_deref(), Some("url"), "{bad_url:?}");
    assert_eq!(
        changed,
        std::slice::from_ref(&class),
        "the follower sent it and names the class"
    );
    assert_eq!(running.lesson.unwrap().state, LessonState::Running);
    assert_eq!(ended.lesson.unwrap().state, LessonState::Ended);
    let answer = http_request(&back.url, "GET", "/sim/lessons", None);
    let on_server: Vec<SimLesson> = serde_json::from_str(&answer).unwrap();
    assert_eq!(on_server.len(), 1, "one lesson on the server");
}

/// The child side of the kill test: queues a start (when no lesson runs) and a lock, then
/// sends until the outbox is empty. Does nothing unless the parent test started it.
#[tokio::test(flavor = "multi_thread")]
async fn kill_child_queues_and_sends_lesson_requests() {
    let Ok(dir) = std::env::var("KOFFER_LESSON_CHILD") else {
        return;
    };
    let url = std::env::var("KOFFER_LESSON_URL").unwrap();
    let token = AccessToken::new(&std::env::var("KOFFER_LESSON_TOKEN").unwrap()).unwrap();
    let round = std::env::var("KOFFER_LESSON_ROUND").unwrap();
    let client = Client::new(ServerUrl::parse(&url).unwrap(), token).unwrap();
    let mut store = Store::open_in(std::path::Path::new(&dir)).unwrap();
    let who = Who {
        login: std::env::var("KOFFER_LESSON_LOGIN").unwrap(),
        role: Role::Teacher,
    };
    let class = std::env::var("KOFFER_LESSON_CLASS").unwrap();
    let view = lessons::class_view(store.conn(), &who, &class, now_ms()).unwrap();
    if !view
        .lesson
        .is_some_and(|l| matches!(l.state, LessonState::Queued | LessonState::Running))
    {
        lessons::start(&mut store, &who, &class, 45, None, now_ms()).unwrap();
    }
    let lock = LessonCommand::LockScreen {
        message: format!("Runde {round}"),
    };
    lessons::command(&mut store, &who, &class, &lock, None, now_ms()).unwrap();
    while lessons::flush(&client, &mut store).await.unwrap().waiting > 0 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[test]
fn lesson_requests_survive_kills_and_none_is_lost_or_started_twice() {
    let emulator = Emulator::start(&[
        "--seed",
        "60",
        "--schools",
        "1",
        "--devices",
        "160",
        "--faults",
        "0.5",
        "--fault-kinds",
        "latency,drop",
    ]);
    emulator.set_faults(0.0);
    let teacher = emulator.user("TEACHER").clone();
    let client = client_of(&emulator, &teacher);
    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut store = Store::open_in(dir.path()).unwrap();
    runtime
        .block_on(sync::sync(
            client.clone(),
            &mut store,
            &SyncOptions::default(),
            &|_| {},
        ))
        .unwrap();
    let who = Who {
        login: teacher.login.clone(),
        role: Role::Teacher,
    };
    let classes = lessons::classes(store.conn(), &who, now_ms()).unwrap();
    let class = classes
        .iter()
        .max_by_key(|c| c.devices)
        .unwrap()
        .uuid
        .clone();
    emulator.set_faults(0.5);
    let mut delay = 7u64;
    let mut killed_while_waiting = 0;

    for round in 0..8 {
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "kill_child_queues_and_sends_lesson_requests",
                "--nocapture",
            ])
            .env("KOFFER_LESSON_CHILD", dir.path())
            .env("KOFFER_LESSON_URL", &emulator.url)
            .env("KOFFER_LESSON_TOKEN", &teacher.token)
            .env("KOFFER_LESSON_LOGIN", &teacher.login)
            .env("KOFFER_LESSON_CLASS", &class)
            .env("KOFFER_LESSON_ROUND", round.to_string())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        delay = delay
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        std::thread::sleep(Duration::from_millis(30 + (delay >> 33) % 600));
        let _ = child.kill();
        child.wait().unwrap();
        let waiting = koffer_core::store::lessons::outbox(store.conn())
            .unwrap()
            .len();
        killed_while_waiting += usize::from(waiting > 0);
    }
    emulator.set_faults(0.0);
    let flushed = runtime
        .block_on(lessons::flush(&client, &mut store))
        .unwrap();

    assert!(
        killed_while_waiting > 0,
        "some kills must land while requests wait"
    );
    assert_eq!(
        flushed.waiting, 0,
        "with the server fine, the outbox empties"
    );
    assert_eq!(flushed.rejected, 0, "nothing is refused: {flushed:?}");
    let lesson = koffer_core::store::lessons::latest_of_class(store.conn(), &class)
        .unwrap()
        .unwrap();
    let requests =
        koffer_core::store::lessons::requests_of_lesson(store.conn(), lesson.id).unwrap();
    let commands = requests
        .iter()
        .filter(|r| r.kind == koffer_core::store::lessons::RequestKind::Command)
        .count() as u64;
    assert!(
        requests.iter().all(|r| r.state == "ACCEPTED"),
        "every request was accepted"
    );
    let answer = http_request(&emulator.url, "GET", "/sim/lessons", None);
    let on_server: Vec<SimLesson> = serde_json::from_str(&answer).unwrap();
    assert_eq!(
        on_server.len(),
        1,
        "the start reached the server exactly once"
    );
    assert!(
        on_server[0]
            .devices
            .iter()
            .all(|d| d.revision == 1 + commands),
        "every queued lock reached the server ({commands} of them): {:?}",
        on_server[0]
            .devices
            .iter()
            .map(|d| d.revision)
            .collect::<Vec<_>>()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn ending_while_the_server_is_away_is_queued_and_the_teacher_told_it_ends_regardless() {
    let args = ["--seed", "61", "--schools", "1", "--devices", "160"];
    let mut console = teacher_console(&args).await;
    let uuid = console.biggest_class().class.uuid;
    console.start(&uuid, 45);
    console.flush().await;
    let placeholder = Emulator::start(&["--devices", "1"]);
    std::mem::replace(&mut console.emulator, placeholder).stop();

    lessons::end(&mut console.store, &console.who, &uuid, now_ms()).unwrap();
    let offline = console.flush().await;
    let view = console.view(&uuid);

    assert_eq!(offline.waiting, 1, "the end waits in the outbox");
    let lesson = view.lesson.unwrap();
    assert_eq!(
        lesson.state,
        LessonState::Running,
        "not ended until the server says so"
    );
    assert_eq!(lesson.queued_requests, 1);
    assert!(
        lesson
            .notice
            .as_deref()
            .unwrap_or_default()
            .contains("ends on the server at its end time regardless"),
        "{:?}",
        lesson.notice
    );
    assert!(view
        .tiles
        .iter()
        .filter(|t| t.ack != Ack::None)
        .all(|t| t.ack == Ack::Queued));
}
