import { clearMocks, mockIPC, mockWindows } from "@tauri-apps/api/mocks";
import { emit } from "@tauri-apps/api/event";
import { listenForDrops, openPaths, setPathsHandler } from "../src/paths";

afterEach(() => {
  clearMocks();
  setPathsHandler(null);
});

test("typed paths reach the current screen, trimmed", () => {
  const got: string[][] = [];
  setPathsHandler((p) => got.push(p));
  expect(openPaths(["  /tmp/bundle  ", ""])).toBe(true);
  expect(got).toEqual([["/tmp/bundle"]]);
  setPathsHandler(null);
  expect(openPaths(["/x"])).toBe(false);
});

test("a file dropped on the window goes through the same entry point", async () => {
  mockWindows("main");
  mockIPC(() => undefined, { shouldMockEvents: true });
  const got: string[][] = [];
  setPathsHandler((p) => got.push(p));
  await listenForDrops();
  await emit("tauri://drag-drop", { paths: ["/home/me/build/2.0"], position: { x: 1, y: 2 } });
  expect(got).toEqual([["/home/me/build/2.0"]]);
});
