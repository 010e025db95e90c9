//! The lesson endpoints. Writes are sent once, like action creates: the lesson outbox repeats
//! them with the same idempotency key, and the server answers what it did the first time.

use koffer_api::{paths, ExtendLesson, Lesson, LessonCommandBody, StartLesson};
use reqwest::Method;

use super::{Client, Read};
use crate::error::Result;

impl Client {
    pub async fn start_lesson(
        &self,
        org: &str,
        idempotency_key: &str,
        body: &StartLesson,
    ) -> Result<Lesson> {
        let body = serde_json::to_vec(body).expect("a lesson start serialises");
        let name = "the lesson start";
        self.lesson_write(name, paths::LESSONS, org, idempotency_key, Some(body))
            .await
    }

    /// Sends a command of a running lesson. The body may hold a lock message: it is never
    /// logged, here or in the request's span.
    pub async fn lesson_command(
        &self,
        org: &str,
        lesson: &str,
        idempotency_key: &str,
        body: &LessonCommandBody,
    ) -> Result<Lesson> {
        let path = paths::lesson_commands(lesson);
        let body = serde_json::to_vec(body).expect("a lesson command serialises");
        self.lesson_write(
            "the lesson command",
            &path,
            org,
            idempotency_key,
            Some(body),
        )
        .await
    }

    /// Adds minutes to a running lesson.
    ///
    /// Known limit: the API names the idempotency key for creates and commands; the emulator
    /// honours it for extensions too. A server that ignored it here could add the minutes twice
    /// when an answer is lost and the outbox sends the extension again.
    pub async fn extend_lesson(
        &self,
        org: &str,
        lesson: &str,
        idempotency_key: &str,
        body: &ExtendLesson,
    ) -> Result<Lesson> {
        let path = paths::lesson_extend(lesson);
        let body = serde_json::to_vec(body).expect("an extension serialises");
        let name = "the lesson extension";
        self.lesson_write(name, &path, org, idempotency_key, Some(body))
            .await
    }

    /// Ends a lesson now; the server answers an ended lesson unchanged.
    pub async fn end_lesson(
        &self,
        org: &str,
        lesson: &str,
        idempotency_key: &str,
    ) -> Result<Lesson> {
        let path = paths::lesson_end(lesson);
        let name = "the end of the lesson";
        self.lesson_write(name, &path, org, idempotency_key, None)
            .await
    }

    /// One lesson as the server holds it now. A single attempt: the follower asks again seconds
    /// later, and retries here would only hold up the outbox while the server is away.
    pub async fn lesson(&self, org: &str, lesson: &str) -> Result<Lesson> {
        let path = paths::lesson(lesson);
        let read = Read {
            name: "the lesson",
            method: Method::GET,
            path: &path,
            query: vec![(paths::TENANT_PARAM, org.to_owned())],
            body: None,
            headers: vec![],
        };
        self.write(&read).await
    }

    /// Running lessons of an organisation and those ended in the last hours.
    pub async fn lessons(&self, org: &str) -> Result<Vec<Lesson>> {
        self.list_all("the lessons", paths::LESSONS, Some(org))
            .await
    }

    async fn lesson_write(
        &self,
        name: &str,
        path: &str,
        org: &str,
        idempotency_key: &str,
        body: Option<Vec<u8>>,
    ) -> Result<Lesson> {
        let write = Read {
            name,
            method: Method::POST,
            path,
            query: vec![(paths::TENANT_PARAM, org.to_owned())],
            body,
            headers: vec![(paths::IDEMPOTENCY_HEADER, idempotency_key.to_owned())],
        };
        self.write(&write).await
    }
}
