/// @brief Picks the model class of an activity's kind.
#include "kinds.hpp"

namespace flowlab::gen::models {

std::unique_ptr<Model> make_model(const Context& ctx) {
    switch (ctx.activity->kind) {
        case ActivityKind::interactive:
            return std::make_unique<InteractiveModel>(ctx);
        case ActivityKind::web:
            return std::make_unique<WebModel>(ctx);
        case ActivityKind::dns:
            return std::make_unique<DnsModel>(ctx);
        case ActivityKind::bulk:
            if (std::get<BulkSpec>(ctx.activity->spec).schedule) return std::make_unique<BulkScheduleModel>(ctx);
            return std::make_unique<BulkPoissonModel>(ctx);
        case ActivityKind::burst:
            return std::make_unique<BurstModel>(ctx);
        case ActivityKind::scan:
            return std::make_unique<ScanModel>(ctx);
        case ActivityKind::ddos:
            return std::make_unique<DdosModel>(ctx);
        case ActivityKind::worm:
            return std::make_unique<WormModel>(ctx);
    }
    return nullptr;
}

}  // namespace flowlab::gen::models
