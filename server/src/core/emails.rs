//! The emails Roster sends: invitations, email verification codes, password reset links and
//! sign-in codes, each with a text part and an HTML part.
//!
//! Every piece of text a user or admin chose (names, organization names) is escaped in the
//! HTML part; the subject is made a single line here, and its encoding as a header is left to
//! lettre's typed headers when the message is sent.

use crate::store::api::NewMessage;
use html_escape::{encode_double_quoted_attribute, encode_text};

/// Who sends an invitation and where to, as the email names them.
#[derive(Clone, Debug, Default)]
pub struct InvitationEmail<'a> {
    /// The invited email address.
    pub recipient: &'a str,
    /// The organization to join; `None` for an invitation to create an account.
    pub organization: Option<&'a str>,
    /// The inviter's name (or email, without a name); `None` when no one is named.
    pub inviter: Option<&'a str>,
    /// The accept link.
    pub url: &'a str,
    /// When the invitation expires, as people read it.
    pub expires: &'a str,
}

/// The invitation email.
pub fn invitation(email: &InvitationEmail<'_>) -> NewMessage {
    let subject = match (email.inviter, email.organization) {
        (Some(inviter), Some(organization)) => format!("{inviter} invited you to join {organization}"),
        (None, Some(organization)) => format!("You are invited to join {organization}"),
        (Some(inviter), None) => format!("{inviter} invited you to create an account"),
        (None, None) => "You are invited to create an account".to_owned(),
    };
    let what = match email.organization {
        Some(organization) => format!("join {organization} on Roster"),
        None => "create an account on Roster".to_owned(),
    };
    let who = email.inviter.unwrap_or("An administrator");
    let text = format!(
        "Hello,\n\n{who} invited you to {what}.\n\nAccept the invitation: {url}\n\n\
         The invitation expires on {expires}. If you did not expect it, you can ignore this email.\n",
        url = email.url,
        expires = email.expires,
    );
    let html = layout(
        &subject,
        &format!(
            "<p>Hello,</p>\n<p><strong>{who}</strong> invited you to {what}.</p>\n{button}\n\
             <p>The invitation expires on {expires}. If you did not expect it, you can ignore this email.</p>",
            who = encode_text(who),
            what = encode_text(&what),
            button = button("Accept the invitation", email.url),
            expires = encode_text(email.expires),
        ),
    );
    message(email.recipient, subject, text, html)
}

/// The email that carries an email verification code.
pub fn email_verification(recipient: &str, code: &str) -> NewMessage {
    let subject = "Verify your email";
    let text = format!("Your verification code is {code}. It expires in 24 hours.\n");
    let html = layout(
        subject,
        &format!("<p>Your verification code is</p>\n{}\n<p>It expires in 24 hours.</p>", code_block(code)),
    );
    message(recipient, subject.into(), text, html)
}

/// The email that carries the code confirming a new address for an account.
pub fn email_change(recipient: &str, code: &str) -> NewMessage {
    let subject = "Confirm your new email";
    let text = format!(
        "Your code to use this address for your account is {code}. It expires in 10 minutes.\n\n\
         If you did not ask to change your email, you can ignore this email.\n"
    );
    let html = layout(
        subject,
        &format!(
            "<p>Your code to use this address for your account is</p>\n{}\n<p>It expires in 10 minutes. If you \
             did not ask to change your email, you can ignore this email.</p>",
            code_block(code)
        ),
    );
    message(recipient, subject.into(), text, html)
}

/// The email that carries a password reset link.
pub fn password_reset(recipient: &str, url: &str) -> NewMessage {
    let subject = "Reset your password";
    let text = format!(
        "Choose a new password at {url}. The link expires in 30 minutes.\n\n\
         If you did not ask to reset your password, you can ignore this email.\n"
    );
    let html = layout(
        subject,
        &format!(
            "<p>Someone asked to reset the password of this account.</p>\n{}\n\
             <p>The link expires in 30 minutes. If you did not ask to reset your password, you can ignore this \
             email.</p>",
            button("Choose a new password", url)
        ),
    );
    message(recipient, subject.into(), text, html)
}

/// The email that carries a sign-in (magic auth) code.
pub fn magic_auth(recipient: &str, code: &str) -> NewMessage {
    let subject = "Your sign-in code";
    let text = format!("Your sign-in code is {code}. It expires in 10 minutes.\n");
    let html = layout(
        subject,
        &format!("<p>Your sign-in code is</p>\n{}\n<p>It expires in 10 minutes.</p>", code_block(code)),
    );
    message(recipient, subject.into(), text, html)
}

fn message(recipient: &str, subject: String, text: String, html: String) -> NewMessage {
    NewMessage { recipient: recipient.to_owned(), subject: one_line(&subject), text, html }
}

/// The subject as one line: names are refused with line breaks or control characters at
/// input, and anything stored before that rule is flattened here.
fn one_line(subject: &str) -> String {
    subject.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// A link styled as a button, with the address also written out for mail clients that hide
/// links.
fn button(label: &str, url: &str) -> String {
    format!(
        "<p><a href=\"{href}\" style=\"display:inline-block;padding:10px 18px;border-radius:6px;background:#2f54eb;\
         color:#ffffff;text-decoration:none;font-weight:600\">{label}</a></p>\n\
         <p style=\"color:#555555;font-size:13px\">Or open this address: {text}</p>",
        href = encode_double_quoted_attribute(url),
        label = encode_text(label),
        text = encode_text(url),
    )
}

fn code_block(code: &str) -> String {
    format!(
        "<p style=\"font-size:28px;font-weight:700;letter-spacing:4px;font-family:monospace\">{}</p>",
        encode_text(code)
    )
}

/// The HTML document around a message's content.
fn layout(title: &str, content: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title}</title>\n</head>\n\
         <body style=\"margin:0;padding:24px;background:#f5f5f7;font-family:-apple-system,'Segoe UI',Roboto,sans-serif;\
         color:#1d1d1f\">\n<div style=\"max-width:560px;margin:0 auto;padding:24px;background:#ffffff;\
         border-radius:8px\">\n{content}\n<p style=\"color:#888888;font-size:12px\">Sent by Roster.</p>\n</div>\n\
         </body>\n</html>\n",
        title = encode_text(&one_line(title)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invitations_name_the_inviter_and_organization_and_escape_them_in_html() {
        let email = invitation(&InvitationEmail {
            recipient: "new@acme.test",
            organization: Some("Acme <script>alert(1)</script> & Co"),
            inviter: Some("Ada \"Lovelace\""),
            url: "https://roster.test/invitations/accept?invitation_token=abc&x=\"y\"",
            expires: "4 Nov 2026, 06:12 UTC",
        });
        assert_eq!(email.subject, "Ada \"Lovelace\" invited you to join Acme <script>alert(1)</script> & Co");
        assert!(
            email.text.contains("Ada \"Lovelace\" invited you to join Acme <script>alert(1)</script> & Co on Roster.")
        );
        assert!(
            email.text.contains("Accept the invitation: https://roster.test/invitations/accept?invitation_token=abc")
        );
        assert!(!email.html.contains("<script>"), "{}", email.html);
        assert!(email.html.contains("Acme &lt;script&gt;alert(1)&lt;/script&gt; &amp; Co"), "{}", email.html);
        assert!(
            email
                .html
                .contains("href=\"https://roster.test/invitations/accept?invitation_token=abc&amp;x=&quot;y&quot;\"")
        );
    }

    #[test]
    fn invitations_without_an_organization_or_inviter_read_well() {
        let email =
            invitation(&InvitationEmail { recipient: "a@b.test", url: "u", expires: "e", ..Default::default() });
        assert_eq!(email.subject, "You are invited to create an account");
        assert!(email.text.contains("An administrator invited you to create an account on Roster."));
    }

    #[test]
    fn subjects_are_one_line_even_for_names_stored_before_the_rule() {
        let email = invitation(&InvitationEmail {
            recipient: "a@b.test",
            organization: Some("Evil\r\nBcc: victim@x.test"),
            url: "u",
            expires: "e",
            ..Default::default()
        });
        assert!(!email.subject.contains('\r') && !email.subject.contains('\n'), "{:?}", email.subject);
    }

    #[test]
    fn codes_and_links_are_in_both_parts() {
        let verify = email_verification("a@b.test", "123456");
        assert!(verify.text.contains("123456") && verify.html.contains("123456"));
        let reset = password_reset("a@b.test", "https://r.test/reset-password?token=t0k");
        assert!(reset.text.contains("https://r.test/reset-password?token=t0k"));
        assert!(reset.html.contains("href=\"https://r.test/reset-password?token=t0k\""));
        let magic = magic_auth("a@b.test", "654321");
        assert!(magic.text.contains("654321") && magic.html.contains("654321"));
    }
}
