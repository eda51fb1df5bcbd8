// The console's entry point: reads config.json, finishes a Cognito sign-in coming back from the
// hosted UI, and renders the app.
import "@cloudscape-design/global-styles/index.css";
import "./styles.css";
import { createRoot } from "react-dom/client";
import { I18nProvider } from "@cloudscape-design/components/i18n";
import messages from "@cloudscape-design/components/i18n/messages/all.en";
import { configureApi } from "./lib/api.js";
import { completeCognitoSignIn, configureAuth } from "./lib/auth.js";
import { App } from "./app.jsx";

async function start() {
  const response = await fetch("config.json", { cache: "no-store" });
  const config = await response.json();
  configureAuth(config);
  let signInProblem = null;
  try {
    await completeCognitoSignIn();
  } catch (error) {
    signInProblem = error.message;
  }
  if (!location.hash.startsWith("#/")) history.replaceState(null, "", `${location.pathname}#/purchase-orders`);
  createRoot(document.getElementById("root")).render(
    <I18nProvider locale="en" messages={[messages]}>
      <App config={config} signInProblem={signInProblem} configureApi={configureApi} />
    </I18nProvider>,
  );
}

start();
