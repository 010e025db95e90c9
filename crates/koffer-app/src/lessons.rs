//! The teacher console's commands: classes, the class view, and the lesson requests, which go
//! into the durable lesson outbox and are sent right away; offline they wait there, and the
//! follower sends them when the server is back and follows running lessons every few seconds.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use koffer_core::lessons::{self, LessonError, Who};
use koffer_core::store::Store;
use koffer_core::ErrorCode;

use crate::commands::{
    AbsentRequest, ClassRef, ClassSummary, ClassView, Empty, LessonCommandOutcome,
    LessonCommandRequest, StartLesson,
};
use crate::error::{AppError, AppErrorCode, AppResult};
use crate::{now_ms, Active, App};

/// How often the lesson outbox is sent and running lessons are fetched while the app runs.
const FOLLOW_LESSONS_EVERY: Duration = Duration::from_secs(2);

/// A command waits this long for the server before its request is left to the follower.
const SEND_PATIENCE: Duration = Duration::from_secs(10);

/// One flush at a time: the follower and a command must not send the same request together.
fn flushing() -> &'static tokio::sync::Mutex<()> {
    static LOCK: OnceLock<tokio::sync::Mutex<()>> = OnceLock::new();
    LOCK.get_or_init(|| tokio::sync::Mutex::new(()))
}

impl From<LessonError> for AppError {
    fn from(error: LessonError) -> AppError {
        match error {
            LessonError::Core(error) => error.into(),
            LessonError::Refused(refusal) => AppError {
                code: if refusal.key == "not_your_class" {
                    AppErrorCode::NoRights
                } else {
                    AppErrorCode::InvalidInput
                },
                key: refusal.key.to_owned(),
                message: refusal.message,
                field: Some(refusal.field.to_owned()),
            },
        }
    }
}

impl Active {
    fn who(&self) -> Who {
        Who {
            login: self.info.login.clone(),
            role: self.role(),
        }
    }

    /// Sends the lesson outbox, waiting at most a few seconds for the server; what it cannot
    /// take now stays queued for the follower.
    async fn send_lessons(&self, writer: &mut Store) -> AppResult<Vec<String>> {
        let _one_at_a_time = flushing().lock().await;
        let flush = tokio::time::timeout(SEND_PATIENCE, lessons::flush(&self.client, writer)).await;
        match flush {
            Ok(Ok(report)) => {
                self.note_outcome(report.problem.clone().map(|p| (ErrorCode::Offline, p)));
                Ok(report.classes)
            }
            Ok(Err(error)) => Err(error.into()),
            Err(_) => {
                let problem = "The server did not answer in time.".to_owned();
                self.note_outcome(Some((ErrorCode::Offline, problem)));
                Ok(Vec::new())
            }
        }
    }
}

impl App {
    pub fn classes(&self, _: Empty) -> AppResult<Vec<ClassSummary>> {
        let active = self.active()?;
        let classes = lessons::classes(active.reader().conn(), &active.who(), now_ms())?;
        Ok(classes)
    }

    pub fn class_view(&self, request: ClassRef) -> AppResult<ClassView> {
        let active = self.active()?;
        let view = lessons::class_view(
            active.reader().conn(),
            &active.who(),
            &request.uuid,
            now_ms(),
        )?;
        Ok(view)
    }

    pub async fn start_lesson(&self, request: StartLesson) -> AppResult<ClassView> {
        let active = self.active()?;
        let mut writer = Store::open_in(&active.dir)?;
        let chosen = request.device_uuids.as_deref();
        lessons::start(
            &mut writer,
            &active.who(),
            &request.class_uuid,
            request.duration_minutes,
            chosen,
            now_ms(),
        )?;
        tracing::info!(class = %request.class_uuid, minutes = request.duration_minutes, "lesson queued");
        active.send_lessons(&mut writer).await?;
        self.class_view(ClassRef {
            uuid: request.class_uuid,
        })
    }

    /// Queues the command and sends it. The lock message is never logged.
    pub async fn lesson_command(
        &self,
        request: LessonCommandRequest,
    ) -> AppResult<LessonCommandOutcome> {
        let active = self.active()?;
        let mut writer = Store::open_in(&active.dir)?;
        let chosen = request.device_uuids.as_deref();
        let (skipped, _) = lessons::command(
            &mut writer,
            &active.who(),
            &request.class_uuid,
            &request.command,
            chosen,
            now_ms(),
        )?;
        active.send_lessons(&mut writer).await?;
        let view = self.class_view(ClassRef {
            uuid: request.class_uuid,
        })?;
        let queued = view.lesson.as_ref().is_some_and(|l| l.queued_requests > 0);
        Ok(LessonCommandOutcome {
            view,
            skipped,
            queued,
        })
    }

    pub async fn extend_lesson(&self, request: ClassRef) -> AppResult<ClassView> {
        let active = self.active()?;
        let mut writer = Store::open_in(&active.dir)?;
        lessons::extend(&mut writer, &active.who(), &request.uuid, now_ms())?;
        active.send_lessons(&mut writer).await?;
        self.class_view(request)
    }

    pub async fn end_lesson(&self, request: ClassRef) -> AppResult<ClassView> {
        let active = self.active()?;
        let mut writer = Store::open_in(&active.dir)?;
        lessons::end(&mut writer, &active.who(), &request.uuid, now_ms())?;
        tracing::info!(class = %request.uuid, "lesson ended by the teacher");
        active.send_lessons(&mut writer).await?;
        self.class_view(request)
    }

    pub fn set_absent(&self, request: AbsentRequest) -> AppResult<ClassView> {
        let active = self.active()?;
        let mut writer = Store::open_in(&active.dir)?;
        lessons::set_absent(
            &mut writer,
            &active.who(),
            &request.class_uuid,
            request.student_login.as_deref(),
            request.device_uuid.as_deref(),
            request.absent,
            now_ms(),
        )?;
        self.class_view(ClassRef {
            uuid: request.class_uuid,
        })
    }

    /// Sends the lesson outbox and fetches running lessons every two seconds, and tells the
    /// window which classes changed, for as long as the app runs.
    pub async fn follow_lessons(self: Arc<Self>) {
        loop {
            tokio::time::sleep(FOLLOW_LESSONS_EVERY).await;
            let Ok(active) = self.active() else { continue };
            match self.follow_lessons_once(&active).await {
                Ok(mut classes) => {
                    classes.sort();
                    classes.dedup();
                    for class in classes {
                        self.events.lesson_changed(&class);
                    }
                }
                Err(error) => tracing::debug!(%error, "following the lessons did not complete"),
            }
        }
    }

    /// One round of the follower now (tests drive it this way): the classes that changed.
    pub async fn follow_lessons_now(&self) -> AppResult<Vec<String>> {
        let active = self.active()?;
        self.follow_lessons_once(&active).await
    }

    /// One round of the follower: send what waits, then fetch what may have changed.
    async fn follow_lessons_once(&self, active: &Active) -> AppResult<Vec<String>> {
        // Asked on the window's reader, so a follower with nothing to do opens no connection.
        if !lessons::needs_following(active.reader().conn())? {
            return Ok(Vec::new());
        }
        let mut writer = Store::open_in(&active.dir)?;
        let mut changed = active.send_lessons(&mut writer).await?;
        if lessons::needs_following(writer.conn())? {
            changed.extend(lessons::follow(&active.client, &mut writer).await?);
        }
        Ok(changed)
    }
}
