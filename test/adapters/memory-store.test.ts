import { MemoryShareStore } from "../../node/adapters/storage/index.js";
import { shareStoreBehaviour } from "./share-store-behaviour.js";

shareStoreBehaviour("MemoryShareStore", async () => ({
  store: new MemoryShareStore(),
  done: async () => {},
}));
