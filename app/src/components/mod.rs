pub mod dialogs;
pub mod error_box;
pub mod filter_form;
pub mod iam_tabs;
pub mod key_form;
pub mod layout;
pub mod pager;
pub mod toast;
