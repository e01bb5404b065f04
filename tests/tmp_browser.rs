#[path = "browser.rs"]
mod browser;
#[path = "/tmp/i19b-tests/browser_forms.rs"]
mod browser_forms;
