#[path = "/tmp/i19b-tests/member_forms.rs"]
mod member_forms;
#[path = "web_write.rs"]
mod web_write;
