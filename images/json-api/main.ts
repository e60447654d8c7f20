// An HTTP JSON API on the app API (app.ts): npm run vireo -- run images/json-api/main.ts, then
// curl -X POST --data '{"text":"hi"}' http://127.0.0.1:8080/api/notes
import { serve } from "../../runtime/app/index";
import { createJsonApi } from "./app";

serve({ port: 80, fetch: createJsonApi() });
