/**
 * The page's script, bundled for the browser: HelloService called with connect-web
 * over the protocol chosen on the page, every answer and every error written into it.
 */
import { Code, ConnectError, createClient, type Client, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import { HelloService } from "../gen/web/v1/hello_pb.js";

const apiUrl = element<HTMLMetaElement>('meta[name="grpckit-api"]').content;

/** One client per protocol; both talk to the same grpckit server at the same address. */
const clients: Record<string, Client<typeof HelloService>> = {
  // SayHello has no side effects, so the Connect transport may send it as a GET.
  connect: createClient(HelloService, createConnectTransport({ baseUrl: apiUrl, useHttpGet: true })),
  "grpc-web": createClient(HelloService, createGrpcWebTransport({ baseUrl: apiUrl })),
};

function client(): Client<typeof HelloService> {
  return clients[element<HTMLSelectElement>("#protocol").value]!;
}

function element<T extends Element>(selector: string): T {
  const found = document.querySelector<T>(selector);
  if (found === null) throw new Error(`the page has no ${selector}`);
  return found;
}

/** Shows an answer, or an error as its status code and message. */
function show(output: HTMLOutputElement, text: string, isError = false): void {
  output.textContent = text;
  output.classList.toggle("error", isError);
}

function describeError(e: unknown): string {
  const err = ConnectError.from(e);
  return `error ${Code[err.code]} (${err.code}): ${err.rawMessage}`;
}

element<HTMLFormElement>("#hello-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const output = element<HTMLOutputElement>("#hello-result");
  show(output, "calling…");
  try {
    const reply = await client().sayHello({ name: element<HTMLInputElement>("#name").value });
    show(output, reply.message);
  } catch (e) {
    show(output, describeError(e), true);
  }
});

element<HTMLFormElement>("#count-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const list = element<HTMLOListElement>("#count-list");
  const output = element<HTMLOutputElement>("#count-result");
  list.replaceChildren();
  show(output, "counting…");
  let received = 0;
  try {
    for await (const step of client().count({ upTo: Number(element<HTMLInputElement>("#up-to").value) })) {
      const item = document.createElement("li");
      item.textContent = String(step.number);
      list.append(item);
      received++;
    }
    show(output, `done: ${received} numbers`);
  } catch (e) {
    show(output, `${describeError(e)} (after ${received} numbers)`, true);
  }
});
