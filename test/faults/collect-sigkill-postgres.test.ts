import { describeSigkill } from "./collect-sigkill.ts";

describeSigkill("postgres");
