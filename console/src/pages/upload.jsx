// Uploading invoices: files chosen or dropped (JSON, UBL or CII XML, Factur-X PDF), each sent as it
// is, then followed until matched. Nothing is prefilled: only what the user gives is uploaded. Also
// the uploads through S3 that were rejected, with the reason.
import Alert from "@cloudscape-design/components/alert";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Container from "@cloudscape-design/components/container";
import ExpandableSection from "@cloudscape-design/components/expandable-section";
import FileDropzone from "@cloudscape-design/components/file-dropzone";
import FileInput from "@cloudscape-design/components/file-input";
import FileTokenGroup from "@cloudscape-design/components/file-token-group";
import Form from "@cloudscape-design/components/form";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Table from "@cloudscape-design/components/table";
import Textarea from "@cloudscape-design/components/textarea";
import { useEffect, useState } from "react";
import { GuardedButton, RouteLink, Status, usePageTitle } from "../components/common.jsx";
import { describeError, invoiceHref, useFlash, useSession, useUnsavedChangesGuard } from "../context.jsx";
import { api, ApiError } from "../lib/api.js";
import { label, plainMessage } from "../lib/labels.js";
import { formatTimestamp } from "../lib/months.js";

const POLL_MS = 1000;
const POLL_ATTEMPTS = 30;
const ACCEPT = ".json,.xml,.pdf,application/json,application/xml,text/xml,application/pdf";

/** The content type to send a file with, by its type or else its name. */
export function contentTypeOf(file) {
  if (file.type === "application/pdf" || /\.pdf$/i.test(file.name)) return "application/pdf";
  if (/xml/.test(file.type) || /\.xml$/i.test(file.name)) return "application/xml";
  if (/json/.test(file.type) || /\.json$/i.test(file.name)) return "application/json";
  return null;
}

async function waitForMatching(invoiceId) {
  for (let attempt = 0; attempt < POLL_ATTEMPTS; attempt += 1) {
    const invoice = await api.getInvoice(invoiceId);
    if (invoice.matchStatus !== "PENDING") return invoice;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return null;
}

function describeUploadError(error) {
  if (error instanceof ApiError && error.fieldErrors.length)
    return error.fieldErrors.map((entry) => `${entry.field ? `${entry.field}: ` : ""}${plainMessage(entry.msg)}`).join("; ");
  return describeError(error).content;
}

export function UploadPage() {
  usePageTitle("Upload invoices");
  const { notify } = useFlash();
  const { allows, whyNot } = useSession();
  const [files, setFiles] = useState([]);
  const [pasted, setPasted] = useState("");
  const [results, setResults] = useState([]);
  const [working, setWorking] = useState(false);
  const [fileError, setFileError] = useState("");
  const allowed = allows("POST", "/invoices");
  useUnsavedChangesGuard(!working && (files.length > 0 || pasted.trim() !== ""));

  const addFiles = (added) => {
    const wrong = added.filter((file) => !contentTypeOf(file));
    setFileError(wrong.length ? `Not an invoice document (JSON, XML or PDF): ${wrong.map((file) => file.name).join(", ")}` : "");
    setFiles((current) => [...current, ...added.filter((file) => contentTypeOf(file))]);
  };

  const upload = async () => {
    setWorking(true);
    const jobs = files.map((file) => ({ name: file.name, send: () => api.uploadInvoiceDocument(file, contentTypeOf(file)) }));
    if (pasted.trim()) {
      try {
        JSON.parse(pasted);
        jobs.push({ name: "Pasted JSON", send: () => api.uploadInvoice(pasted) });
      } catch (error) {
        setResults((current) => [{ name: "Pasted JSON", status: "error", text: `Not valid JSON: ${error.message}` }, ...current]);
      }
    }
    const outcomes = [];
    for (const job of jobs) {
      try {
        const invoice = await job.send();
        outcomes.push({ name: job.name, invoice, status: "uploaded" });
      } catch (error) {
        outcomes.push({ name: job.name, status: "error", text: describeUploadError(error) });
      }
    }
    setResults((current) => [...outcomes, ...current]);
    setFiles([]);
    setPasted("");
    setWorking(false);
    const uploaded = outcomes.filter((outcome) => outcome.invoice);
    const failed = outcomes.filter((outcome) => !outcome.invoice);
    if (uploaded.length)
      notify({
        type: "success",
        content: `${uploaded.length} ${uploaded.length === 1 ? "invoice" : "invoices"} uploaded: ${uploaded.map((outcome) => outcome.invoice.invoiceId).join(", ")}. Matching…`,
      });
    if (failed.length) notify({ type: "error", header: `${failed.length} could not be uploaded`, content: failed.map((outcome) => `${outcome.name}: ${outcome.text}`).join(" · ") });
    for (const outcome of uploaded) {
      waitForMatching(outcome.invoice.invoiceId).then((settled) => {
        if (!settled) return;
        setResults((current) => current.map((row) => (row.invoice?.invoiceId === settled.invoiceId ? { ...row, invoice: settled } : row)));
        notify({
          type: settled.matchStatus === "MATCHED" ? "success" : "warning",
          content:
            settled.matchStatus === "MATCHED"
              ? `${settled.invoiceId} matched to purchase order ${settled.match.poId}.`
              : `${settled.invoiceId} is not matched: ${label("unmatchedReason", settled.unmatchedReason)}`,
          action: <Button href={invoiceHref(settled.invoiceId)}>Open {settled.invoiceId}</Button>,
        });
      });
    }
  };

  return (
    <SpaceBetween size="l">
      <Header variant="h1" description="Invoices and credit memos as JSON, UBL or CII e-invoices (XML) or Factur-X / ZUGFeRD PDFs. Each is matched to a purchase order as soon as it arrives.">
        Upload invoices
      </Header>
      {!allowed ? <Alert type="info" header="Uploading is not available to you">Uploading invoices: {whyNot("POST", "/invoices")}</Alert> : null}
      <form
        aria-label="Upload invoices"
        onSubmit={(event) => {
          event.preventDefault();
          if (files.length || pasted.trim()) upload();
        }}
      >
        <Form
          actions={
            <GuardedButton route={["POST", "/invoices"]} variant="primary" formAction="submit" loading={working} disabled={!files.length && !pasted.trim()} disabledReason="Choose a file first.">
              Upload
            </GuardedButton>
          }
        >
          <Container header={<Header variant="h2">Documents</Header>}>
            <SpaceBetween size="l">
              <FormField label="Invoice files" description="JSON, UBL or CII XML, Factur-X PDF; up to 4 MiB each" errorText={fileError}>
                <SpaceBetween size="s">
                  <FileDropzone onChange={({ detail }) => addFiles(detail.value)}>
                    <SpaceBetween size="xxs" alignItems="center">
                      <Box>Drop invoice files here, or</Box>
                      <FileInput
                        multiple
                        accept={ACCEPT}
                        value={[]}
                        ariaLabel="Choose invoice files"
                        onChange={({ detail }) => addFiles(detail.value)}
                      >
                        Choose files
                      </FileInput>
                    </SpaceBetween>
                  </FileDropzone>
                  {files.length ? (
                    <FileTokenGroup
                      items={files.map((file) => ({ file }))}
                      onDismiss={({ detail }) => setFiles((current) => current.filter((_, index) => index !== detail.fileIndex))}
                      showFileLastModified
                      showFileSize
                      i18nStrings={{ removeFileAriaLabel: (index) => `Remove ${files[index]?.name}`, limitShowFewer: "Show fewer", limitShowMore: "Show more", formatFileSize: (bytes) => `${(bytes / 1024).toFixed(1)} KiB`, formatFileLastModified: (date) => date.toISOString().slice(0, 10) }}
                    />
                  ) : null}
                </SpaceBetween>
              </FormField>
              <ExpandableSection headerText="Or paste an invoice as JSON">
                <FormField label="Invoice document (JSON)" description="The document as the API takes it; sent exactly as typed.">
                  <Textarea value={pasted} onChange={({ detail }) => setPasted(detail.value)} rows={8} spellcheck={false} placeholder='{"invoiceId": "…", "billingEntity": "…", …}' />
                </FormField>
              </ExpandableSection>
            </SpaceBetween>
          </Container>
        </Form>
      </form>
      {results.length ? <Results results={results} /> : null}
      <RejectedUploads />
    </SpaceBetween>
  );
}

function Results({ results }) {
  return (
    <Table
      variant="container"
      items={results}
      ariaLabels={{ tableLabel: "Uploaded in this session" }}
      header={<Header variant="h2">Uploaded in this session</Header>}
      wrapLines
      columnDefinitions={[
        { id: "name", header: "File", cell: (row) => row.name, isRowHeader: true },
        {
          id: "invoice",
          header: "Invoice",
          cell: (row) => (row.invoice ? <RouteLink href={invoiceHref(row.invoice.invoiceId)}>{row.invoice.invoiceId}</RouteLink> : "—"),
        },
        {
          id: "status",
          header: "Result",
          cell: (row) =>
            row.invoice ? (
              <Status table="matchStatus" code={row.invoice.matchStatus}>
                {row.invoice.matchStatus === "MATCHED" ? `Matched to ${row.invoice.match.poId}` : row.invoice.matchStatus === "UNMATCHED" ? `Not matched: ${label("unmatchedReason", row.invoice.unmatchedReason)}` : "Matching…"}
              </Status>
            ) : (
              <Status table="uploadStatus" code="REJECTED">
                {row.text}
              </Status>
            ),
        },
      ]}
    />
  );
}

function RejectedUploads() {
  const [items, setItems] = useState(null);
  useEffect(() => {
    api.listInvoiceUploads({ status: "REJECTED", limit: 50 }).then(
      (answer) => setItems(answer.items),
      () => setItems([]),
    );
  }, []);
  return (
    <Table
      variant="container"
      items={items ?? []}
      loading={items === null}
      loadingText="Loading rejected uploads"
      ariaLabels={{ tableLabel: "Rejected uploads through S3" }}
      wrapLines
      header={<Header variant="h2" description="Documents put in the invoice bucket that could not be read; the object stays there.">Rejected uploads through S3</Header>}
      empty={<Box textAlign="center">No upload was rejected.</Box>}
      columnDefinitions={[
        { id: "key", header: "Object", cell: (row) => row.key, isRowHeader: true },
        { id: "status", header: "Status", cell: (row) => <Status table="uploadStatus" code={row.status} /> },
        { id: "error", header: "Why", cell: (row) => (typeof row.error === "string" ? row.error : Array.isArray(row.error) ? row.error.map((entry) => `${entry.field ?? ""} ${entry.message ?? entry.msg ?? ""}`.trim()).join("; ") : "—") },
        { id: "at", header: "Received", cell: (row) => formatTimestamp(row.receivedAt) },
      ]}
    />
  );
}
