fn main() {
    // The app's own commands, listed so that capabilities can allow exactly these.
    let manifest = tauri_build::AppManifest::new().commands(&[
        "app_state",
        "sign_in",
        "switch_profile",
        "forget_profile",
        "save_settings",
        "start_sync",
        "freshness",
        "check_server",
        "query_devices",
        "filter_choices",
        "device_detail",
        "overview",
        "preview_action",
        "request_action",
        "ledger",
        "cancel_action",
        "retry_action",
        "device_location",
        "audit_log",
        "erase_follow_ups",
        "classes",
        "class_view",
        "start_lesson",
        "lesson_command",
        "extend_lesson",
        "end_lesson",
        "set_absent",
    ]);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .expect("the Tauri build step succeeds");
}
