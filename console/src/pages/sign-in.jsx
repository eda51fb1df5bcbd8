// Sign-in: an account id (and optionally a user and roles) in local mode, the Cognito hosted UI when deployed.
import Alert from "@cloudscape-design/components/alert";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Checkbox from "@cloudscape-design/components/checkbox";
import Container from "@cloudscape-design/components/container";
import ContentLayout from "@cloudscape-design/components/content-layout";
import Form from "@cloudscape-design/components/form";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import Input from "@cloudscape-design/components/input";
import SpaceBetween from "@cloudscape-design/components/space-between";
import { useEffect, useState } from "react";
import { beginCognitoSignIn, isLocalMode, signInLocally } from "../lib/auth.js";

const ACCOUNT_ID = /^[A-Za-z0-9_-]{1,64}$/;
const USER_ID = /^[A-Za-z0-9_.@-]{1,64}$/;
const ROLES = [
  ["viewer", "reads everything"],
  ["buyer", "creates and changes purchase orders"],
  ["payables", "uploads, matches and submits invoices"],
  ["approver", "approves and rejects invoices"],
  ["admin", "changes the settings, and everything above"],
];

export function SignInPage({ problem, onSignedIn }) {
  useEffect(() => {
    document.title = "Sign in · PO Console";
  }, []);
  return (
    <Box padding={{ vertical: "xxxl", horizontal: "l" }}>
      <main style={{ maxWidth: 560, margin: "0 auto" }}>
        <ContentLayout header={<Header variant="h1">Sign in</Header>}>
          <SpaceBetween size="l">
            {problem ? (
              <Alert type="warning" header="Please sign in">
                {problem}
              </Alert>
            ) : null}
            {isLocalMode() ? <LocalSignIn onSignedIn={onSignedIn} /> : <CognitoSignIn />}
          </SpaceBetween>
        </ContentLayout>
      </main>
    </Box>
  );
}

function CognitoSignIn() {
  return (
    <Container>
      <SpaceBetween size="m">
        <Box>You will be sent to your organisation&apos;s sign-in page and brought back here.</Box>
        <Button variant="primary" onClick={() => beginCognitoSignIn()}>
          Sign in with your organisation account
        </Button>
      </SpaceBetween>
    </Container>
  );
}

function LocalSignIn({ onSignedIn }) {
  const [accountId, setAccountId] = useState("");
  const [userId, setUserId] = useState("");
  const [roles, setRoles] = useState([]);
  const [submitted, setSubmitted] = useState(false);
  const accountError = submitted && !ACCOUNT_ID.test(accountId.trim()) ? "Enter 1–64 letters, digits, _ or -." : "";
  const userError = submitted && userId.trim() && !USER_ID.test(userId.trim()) ? "Use 1–64 letters, digits and _ . @ -." : "";
  const rolesError = submitted && userId.trim() && !roles.length ? "Choose at least one role for the user." : "";
  return (
    <form
      aria-label="Sign in"
      onSubmit={(event) => {
        event.preventDefault();
        setSubmitted(true);
        const account = accountId.trim();
        const user = userId.trim();
        if (!ACCOUNT_ID.test(account) || (user && (!USER_ID.test(user) || !roles.length))) return;
        signInLocally(user ? `${account}:${user}:${roles.join("+")}` : account);
        onSignedIn();
      }}
    >
      <Form actions={<Button variant="primary" formAction="submit">Sign in</Button>}>
        <Container header={<Header variant="h2" description="Local mode: the API trusts the account id you give here.">Local account</Header>}>
          <SpaceBetween size="l">
            <FormField label="Account id" constraintText="1–64 letters, digits, _ or -" errorText={accountError}>
              <Input value={accountId} onChange={({ detail }) => setAccountId(detail.value)} autoComplete="username" autoFocus />
            </FormField>
            <FormField
              label="User id (optional)"
              constraintText="Without one you are a user named after the account, with every role"
              errorText={userError}
            >
              <Input value={userId} onChange={({ detail }) => setUserId(detail.value)} />
            </FormField>
            <FormField label="Roles (with a user id)" errorText={rolesError}>
              <SpaceBetween size="xxs">
                {ROLES.map(([role, what]) => (
                  <Checkbox
                    key={role}
                    checked={roles.includes(role)}
                    description={what}
                    onChange={({ detail }) =>
                      setRoles((current) => (detail.checked ? [...current, role] : current.filter((r) => r !== role)))
                    }
                  >
                    {role}
                  </Checkbox>
                ))}
              </SpaceBetween>
            </FormField>
          </SpaceBetween>
        </Container>
      </Form>
    </form>
  );
}
