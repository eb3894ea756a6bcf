pub mod dialogs;
pub mod error_box;
pub mod iam_tabs;
pub mod layout;
pub mod pager;
